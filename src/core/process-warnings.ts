/**
 * The AWS SDK pinned in package-lock.json runs on Node 20, but on its first call it prints a
 * multi-line warning about SDK versions not yet released, on stderr, beside the one line Rotor
 * writes there when it cannot start (and the CLI's output). Unless the operator set the SDK's
 * own switch either way, Rotor turns that warning off; set the variable to `false` to see it.
 */
export function quietAwsSdkNodeWarning(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
