import type { MessageRef } from '../../core/delivery.js';
import type { Announcement, Announcer } from '../../scheduler/announcer.js';
import { announcementMessage } from '../views/announcement-message.js';
import type { SlackPoster } from './slack-poster.js';

export class SlackAnnouncer implements Announcer {
  constructor(private readonly poster: SlackPoster) {}

  announce(channel: string, announcement: Announcement): Promise<MessageRef> {
    return this.poster.post(channel, announcementMessage(announcement));
  }
}
