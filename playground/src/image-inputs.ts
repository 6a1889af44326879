import { byId } from "./dom.js";
import { canvasToDigit, droppedFiles, pickedFiles } from "./images.js";

/** The drawing pad: strokes with the mouse or a finger; Find hands its ink to `onFind` as a `[1, 1, 28, 28]` digit. */
export function setUpDrawing(pad: HTMLCanvasElement, onFind: (image: Float32Array) => void): void {
  const ctx = pad.getContext("2d");
  if (ctx === null) return;
  let drawing = false;
  const at = (e: PointerEvent) => [(e.offsetX * pad.width) / pad.clientWidth, (e.offsetY * pad.height) / pad.clientHeight] as const;
  pad.addEventListener("pointerdown", (e) => {
    drawing = true;
    pad.setPointerCapture(e.pointerId);
    ctx.beginPath();
    ctx.moveTo(...at(e));
  });
  pad.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    Object.assign(ctx, { lineWidth: 14, lineCap: "round", strokeStyle: "#fff" });
    ctx.lineTo(...at(e));
    ctx.stroke();
  });
  pad.addEventListener("pointerup", () => (drawing = false));
  byId("clear").addEventListener("click", () => ctx.clearRect(0, 0, pad.width, pad.height));
  byId("find").addEventListener("click", () => onFind(canvasToDigit(pad)));
}

/** The drop zone and the folder picker: each hands the files it got, with their paths, to `onFiles`. */
export function setUpFolderInputs(zone: HTMLElement, picker: HTMLInputElement, onFiles: (files: ReturnType<typeof droppedFiles>) => void): void {
  zone.addEventListener("dragover", (e) => (e.preventDefault(), zone.classList.add("over")));
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer !== null) onFiles(droppedFiles(e.dataTransfer));
  });
  picker.addEventListener("change", () => {
    if (picker.files !== null) onFiles(Promise.resolve(pickedFiles(picker.files)));
  });
}
