import { Command, Flags } from "@oclif/core";
export default class Id extends Command {
  static override description = "Print this peer's name and public key";
  static override examples = ["<%= config.bin %> id", "<%= config.bin %> id --json"];
  static override flags = { json: Flags.boolean({ description: "print JSON" }) };
  async run(): Promise<void> {
    const { flags } = await this.parse(Id);
    this.log(flags.json ? "{}" : "hello");
  }
}
