// Settings of the benchmark and the soak, read from the environment: every variable a schema
// names, validated up front, so that a bad one stops the run with a clear message (exit 2)
// before anything starts.
import type { z } from 'zod';

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** The schema's variables that are set and not empty, parsed; a SettingsError lists each problem. */
export function parseEnvSettings<S extends z.ZodObject>(
  schema: S,
  env: NodeJS.ProcessEnv,
  what: string,
): z.infer<S> {
  const raw = Object.fromEntries(
    Object.keys(schema.shape)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
    throw new SettingsError(`invalid ${what} settings:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** The settings, or exit 2 with the SettingsError's message. */
export function settingsOrExit<T>(load: (env: NodeJS.ProcessEnv) => T): T {
  try {
    return load(process.env);
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
