export { grad, vjp } from "./grad.js";
