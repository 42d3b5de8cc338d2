export async function run(argv: string[], from: string): Promise<void> {
  const { execute } = await import("@oclif/core");
  await execute({ args: argv, dir: from });
}
