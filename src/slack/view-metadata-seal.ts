import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * A modal's `private_metadata` travels through the person's Slack client and comes back in
 * every click and submission: it names the secret, the rotation and its version, the incident
 * channel. Slack signs the request, not what the app put in the view, so Rotor seals it: an HMAC
 * under a key derived from the signing secret (every replica has it; a restart keeps it), over
 * the view's callback_id and the metadata, so it can be neither edited nor moved to another form.
 * What comes back unsealed or with a wrong seal is not Rotor's, and is read as no metadata at
 * all: each form then refuses it as it refuses metadata it cannot read.
 */
export class ViewMetadataSeal {
  private static readonly PREFIX = 'rotor1.';
  private readonly key: Buffer;

  constructor(signingSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', signingSecret, 'rotor', 'slack view private_metadata v1', 32));
  }

  /** `metadata` sealed for a view of `callbackId`; empty metadata stays empty (it carries nothing to trust). */
  seal(callbackId: string, metadata: string): string {
    if (metadata === '') return '';
    return `${ViewMetadataSeal.PREFIX}${this.mac(callbackId, metadata)}.${metadata}`;
  }

  /** The metadata a sealed value carries, or null when it is not sealed by Rotor for a view of `callbackId`. */
  open(callbackId: string, sealed: string): string | null {
    if (!sealed.startsWith(ViewMetadataSeal.PREFIX)) return null;
    const rest = sealed.slice(ViewMetadataSeal.PREFIX.length);
    const dot = rest.indexOf('.');
    if (dot < 0) return null;
    const given = Buffer.from(rest.slice(0, dot));
    const metadata = rest.slice(dot + 1);
    const expected = Buffer.from(this.mac(callbackId, metadata));
    return given.length === expected.length && timingSafeEqual(given, expected) ? metadata : null;
  }

  private mac(callbackId: string, metadata: string): string {
    return createHmac('sha256', this.key).update(callbackId).update('\n').update(metadata).digest('base64url');
  }
}
