import Id from "./id.ts";
export const COMMANDS = { id: Id };
