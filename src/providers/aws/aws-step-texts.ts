import type { StoreStepTexts } from '../store-kind.js';

const READ_PENDING =
  'aws secretsmanager get-secret-value --secret-id {aws_secret_id}{aws_region_flag} --version-stage AWSPENDING --query SecretString --output text';

/**
 * How the checklists word the steps of a secret in AWS Secrets Manager: staging labels
 * (`AWSPENDING` until the promote step moves `AWSCURRENT`), and the rotation Lambda of a secret
 * that has one. `{aws_secret_id}` and `{aws_region_flag}` come from the reference.
 */
export const AWS_STEP_TEXTS: StoreStepTexts = {
  create: {
    generate: (parts) =>
      `Rotor generates a random value at AWS (\`GetRandomPassword\`: ${parts.generated}) and writes it to \`{aws_secret_id}\` as \`AWSPENDING\`; production keeps reading \`AWSCURRENT\` until the promote step. ${parts.keepsShape}`,
    issuer: (parts) =>
      `${parts.mint} With the value in \`${parts.file}\`, write it as a pending version: \`aws secretsmanager put-secret-value --secret-id {aws_secret_id}{aws_region_flag} --version-stages AWSPENDING --secret-string file://${parts.file}\`, then delete the file (\`shred -u ${parts.file}\`). Keep \`--version-stages AWSPENDING\`: without it the new value becomes \`AWSCURRENT\` at once. ${parts.detect}`,
    store_rotation: (parts) =>
      `Rotor calls \`RotateSecret\` on \`{aws_secret_id}\`: the rotation Lambda creates the \`AWSPENDING\` version, sets it where it is used (and, for a signing key or a webhook secret, publishes the overlap), tests it and moves \`AWSCURRENT\`, and Rotor waits for it to finish. Do not write a value by hand meanwhile: that abandons the rotation AWS drives.${parts.approvalsFirst('The Lambda changes the credential at its issuer')}`,
  },
  updateStaging: {
    any: "Have staging read the new version while {live_environment} stays on `AWSCURRENT`: point its configuration (Terraform, CDK, Parameter Store or the deployment's environment) at the `AWSPENDING` stage of `{aws_secret_id}`, or at the new version id. For a secret outside production, use one test instance.",
    store_rotation:
      'With a rotation Lambda, `AWSCURRENT` moves as soon as the rotation succeeds: test in staging by rotating the staging copy of this secret first.',
  },
  promote: {
    any: 'Rotor moves `AWSCURRENT` of `{aws_secret_id}` to the new version (the old one becomes `AWSPREVIOUS`) and drops `AWSPENDING`; it refuses if someone changed the current version meanwhile. Consumers reading `AWSCURRENT` get the new value on their next read.',
    store_rotation:
      "Rotor checks that `AWSCURRENT` of `{aws_secret_id}` is on the new version, moves it there if the rotation Lambda's last step did not, and drops a leftover `AWSPENDING` label.",
  },
  verify: {
    store_rotation: (checks) =>
      `Rotor reads \`AWSCURRENT\` back and compares its id with the version the rotation created. Then check: ${checks}`,
  },
  keepPrevious:
    'Rotor keeps the previous version (`AWSPREVIOUS`) for the {retention_hours} h retention window, for a rollback, then removes its labels once you confirm.',
  readNewValue: (then) => `Read the pending value (\`${READ_PENDING}\`), then ${then}`,
  disable: {
    disableNow:
      'First, before a replacement exists: AWS cannot leave a secret without an `AWSCURRENT` version, so Rotor writes a generated placeholder as the current version of `{aws_secret_id}`, then strips every label from the compromised one. Consumers fail until the new version is promoted.',
    replaceThenDisable:
      'Rotor strips every label from the compromised version of `{aws_secret_id}`, moving `AWSCURRENT` to the new version first if it is still there (AWS cannot leave a secret without an `AWSCURRENT` version). The version is then deprecated.',
  },
  searchLogs: (start, end) =>
    `${start} CloudTrail events naming \`{aws_secret_id}\` (\`aws cloudtrail lookup-events{aws_region_flag} --lookup-attributes AttributeKey=ResourceName,AttributeValue=<its ARN>\`), and ${end}`,
  restoredLine: (ref, versionId, read) =>
    `\`AWSCURRENT\` of ${ref} is on version ${versionId} again, the one current before the rotation (${read}).`,
};
