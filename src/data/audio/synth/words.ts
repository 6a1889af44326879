/** The spoken digits, the keyword task's default vocabulary. */
export const DIGIT_WORDS: readonly string[] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

/** The ten command words of Speech Commands (Warden 2018), the keyword task with `--words commands`. */
export const COMMAND_WORDS: readonly string[] = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"];

/** The keyword vocabularies by their `--words` name. */
export const KEYWORD_VOCABULARIES = { digits: DIGIT_WORDS, commands: COMMAND_WORDS } as const;
export type KeywordVocabulary = keyof typeof KEYWORD_VOCABULARIES;

/**
 * 300 common English words spoken in the unlabeled pool and in the voice task: both keyword
 * vocabularies (so the pool covers either task) and 280 frequent nouns, adjectives and verbs.
 * Left out on purpose: homophones of a keyword ("know", "write", "for", "to", "won", "ate"), whose
 * unlabeled utterances would be a keyword by another name, and homographs ("read", "lead", "live"),
 * which synthesizers pronounce unpredictably. Every word is a headword of gnuspeech's dictionary, so
 * no engine falls back to letter-to-sound rules. Fixed: the pool must not change between versions.
 */
export const POOL_WORDS: readonly string[] = [
  ...DIGIT_WORDS,
  ...COMMAND_WORDS,
  ...`time year people way day man thing woman life child world school state family student group
  country problem hand part place case week company system program question work government number
  night point home water room mother area money story fact month lot study book eye job word business
  issue side kind head house service friend father power hour game line end member law car city
  community name president team minute idea kid body information back parent face level office door
  health person art war history party result change morning reason research girl guy moment air
  teacher force education foot boy age policy music market sense nation plan college interest death
  experience effect class control care field development role effort heart show leader light voice
  wife police mind price report decision son view town road arm difference value building action
  model season society tax director position player paper space ground form event matter center
  couple site project activity star table need court oil situation cost industry figure street image
  phone data picture practice piece land product doctor wall patient worker news movie north love
  support technology step baby computer type attention film tree source hair window evidence truth
  song good new first last long great little own other old big high small large next early young
  important few public bad same able black white red green blue happy simple strong free sure clear
  whole real hard easy best better true full special late hot cold warm dark short make take see
  come think look want give use find tell ask feel try leave call keep let begin seem help talk turn
  start hear play run move like believe hold bring happen`
    .split(/\s+/)
    .filter((w) => w !== ""),
];
