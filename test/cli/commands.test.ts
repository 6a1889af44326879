import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveRunConfig } from "../../src/cli/pretrain.js";
import { expectOneLineError, runInProcess } from "./run-cli.js";

const COMMANDS = ["pretrain", "eval", "embed", "index", "search", "duplicates", "outliers", "clusters", "select", "export", "report", "views", "methods", "demo"];

describe("pretext --help", () => {
  it("lists every command", async () => {
    const r = await runInProcess(["--help"]);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c} `);
  });

  it("--version prints the package version", async () => {
    const r = await runInProcess(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each(COMMANDS)("%s --help shows its usage and exits 0", async (command) => {
    const r = await runInProcess([command, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: pretext ${command}`);
    expect(r.stderr).toBe("");
  });

  it("pretrain --help shows the flags scripts rely on", async () => {
    const { stdout } = await runInProcess(["pretrain", "--help"]);
    for (const flag of ["--method", "--data", "--labels", "--epochs", "--time-budget", "--batch-size", "--seed", "--config", "--out", "--resume", "--quiet", "--json"]) {
      expect(stdout).toContain(flag);
    }
  });

  it("eval --help shows the flags scripts rely on", async () => {
    const { stdout } = await runInProcess(["eval", "--help"]);
    for (const flag of ["<run-dir>", "--data", "--labels", "--test-data", "--test-labels", "--labels-per-class", "--probes", "--json"]) expect(stdout).toContain(flag);
  });
});

describe("errors a new user meets", () => {
  it("a wrong flag gets commander's suggestion", async () => {
    const r = await runInProcess(["pretrain", "--method", "simclr", "--data", "mnist", "--epoch", "3"]);
    expectOneLineError(r, "pretrain", /unknown option '--epoch'.*Did you mean --epochs\?/);
  });

  it("a mistyped command gets a suggestion", async () => {
    const r = await runInProcess(["pretrian"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown command 'pretrian'.*Did you mean pretrain\?/);
  });

  it("a bad flag value says what is expected", async () => {
    const r = await runInProcess(["pretrain", "--method", "simclr", "--data", "mnist", "--time-budget", "five minutes"]);
    expectOneLineError(r, "pretrain", /--time-budget.*duration/);
    expectOneLineError(await runInProcess(["pretrain", "--epochs", "-1"]), "pretrain", /positive integer/);
  });

  it("an unknown method lists the names there are", async () => {
    const r = await runInProcess(["pretrain", "--method", "simclrr", "--data", "mnist"]);
    expectOneLineError(r, "pretrain", /unknown method "simclrr" \(did you mean "simclr"\?\); choose one of: .*simclr.*autoencoder/);
  });

  it("a missing data path says what --data takes", async () => {
    const r = await runInProcess(["pretrain", "--method", "simclr", "--data", "no/such/images-idx3-ubyte"]);
    expectOneLineError(r, "pretrain", /--data no\/such\/images-idx3-ubyte: no such file or folder; give mnist/);
  });

  it("no method or no data says which flag to add", async () => {
    expectOneLineError(await runInProcess(["pretrain", "--data", "mnist"]), "pretrain", /pass --method <name>/);
    expectOneLineError(await runInProcess(["pretrain", "--method", "simclr"]), "pretrain", /pass --data <spec>/);
  });

  it("eval, export, embed and report on a folder that is not a run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pretext-cli-"));
    for (const command of ["eval", "export", "report"]) {
      expectOneLineError(await runInProcess([command, join(dir, "nope")]), command, /no such run folder/);
      expectOneLineError(await runInProcess([command, dir]), command, /no config.json/);
    }
    expectOneLineError(await runInProcess(["eval", dir, "--probes", "linear,svm"]), "eval", /"svm" is not one of linear, knn, kmeans/);
  });
});

describe("--config", () => {
  const dir = mkdtempSync(join(tmpdir(), "pretext-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a YAML file whose sections map onto the options, and flags override it", async () => {
    const file = join(dir, "run.yaml");
    writeFileSync(file, "pretrain:\n  method: simclr\n  data: mnist\n  epochs: 3\n  timeBudgetSeconds: 2m\n  batchSize: 128\nmethod:\n  temperature: 0.2\neval:\n  labelsPerClass: [1, 10]\n  probes: [linear]\n");
    const { config, method } = await resolveRunConfig({ config: file, epochs: 5, out: join(dir, "run") });
    expect(method.name).toBe("simclr");
    expect(config.pretrain).toMatchObject({ method: "simclr", data: "mnist", epochs: 5, timeBudgetSeconds: 120, batchSize: 128, seed: 0 });
    expect(config.method.temperature).toBe(0.2);
    // The method section is resolved: every default is written down.
    expect(Object.keys(config.method).length).toBeGreaterThan(1);
    expect(config.eval).toMatchObject({ labelsPerClass: [1, 10], probes: ["linear"], draws: 3 });
  });

  it("reads JSON too", async () => {
    const file = join(dir, "run.json");
    writeFileSync(file, JSON.stringify({ pretrain: { method: "autoencoder", data: "mnist", seed: 7 } }));
    const { config } = await resolveRunConfig({ config: file, out: join(dir, "run2") });
    expect(config.pretrain).toMatchObject({ method: "autoencoder", seed: 7, epochs: null, batchSize: null });
  });

  it("names a mistyped key with the closest option", async () => {
    const file = join(dir, "typo.yaml");
    writeFileSync(file, "pretrain:\n  method: simclr\n  data: mnist\n  epoch: 3\n");
    expectOneLineError(await runInProcess(["pretrain", "--config", file]), "pretrain", /pretrain\.epoch is not an option \(did you mean "epochs"\?\)/);
    writeFileSync(file, "pretrain:\n  method: simclr\n  data: mnist\nmethod:\n  temprature: 0.1\n");
    expectOneLineError(await runInProcess(["pretrain", "--config", file]), "pretrain", /method\.temprature is not an option of simclr \(did you mean "temperature"\?\)/);
    writeFileSync(file, "pretrain:\n  method: simclr\n  data: mnist\nmethod:\n  temperature: cold\n");
    expectOneLineError(await runInProcess(["pretrain", "--config", file]), "pretrain", /method\.temperature must be a number/);
    writeFileSync(file, "pretrian:\n  method: simclr\n");
    expectOneLineError(await runInProcess(["pretrain", "--config", file]), "pretrain", /unknown section "pretrian" \(did you mean "pretrain"\?\)/);
    writeFileSync(file, "pretrain: [unclosed\n");
    expectOneLineError(await runInProcess(["pretrain", "--config", file]), "pretrain", /not valid YAML/);
    expectOneLineError(await runInProcess(["pretrain", "--config", join(dir, "missing.yaml")]), "pretrain", /no such config file/);
  });
});
