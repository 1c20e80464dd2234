import { randomBytes } from 'node:crypto';
import type { AppHomeOpenedEvent, FunctionExecutedEvent } from '@slack/types';
import type {
  BlockAction,
  BlockSuggestion,
  ButtonAction,
  EnvelopedEvent,
  GlobalShortcut,
  MessageShortcut,
  SlashCommand,
  ViewClosedAction,
  ViewOutput,
  ViewStateValue,
  ViewSubmitAction,
} from '@slack/bolt';

/**
 * Typed factories for the bodies Slack sends. Slack publishes no fixtures, so each shape is
 * checked with `satisfies` against Bolt's own payload types.
 */

export interface PayloadContext {
  teamId: string;
  appId?: string;
  /** A fresh response_url on the fake Slack server. */
  responseUrl: () => string;
}

function triggerId(): string {
  return `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
}

/** The verification token field is deprecated and ignored by Rotor; it still appears in every body. */
const legacyToken = () => randomBytes(12).toString('hex');

export function slashCommand(
  ctx: PayloadContext,
  fields: { command: string; text: string; userId: string; channelId?: string; triggerId?: string; responseUrl?: string },
) {
  return {
    token: legacyToken(),
    command: fields.command,
    text: fields.text,
    response_url: fields.responseUrl ?? ctx.responseUrl(),
    trigger_id: fields.triggerId ?? triggerId(),
    user_id: fields.userId,
    user_name: fields.userId.toLowerCase(),
    team_id: ctx.teamId,
    team_domain: 'rotor-test',
    channel_id: fields.channelId ?? 'C0TESTCHAN',
    channel_name: 'rotor-test',
    api_app_id: ctx.appId ?? 'A0ROTOR',
  } satisfies SlashCommand;
}

export function buttonClick(
  ctx: PayloadContext,
  fields: {
    actionId: string;
    value: string;
    userId: string;
    blockId?: string;
    channelId?: string;
    view?: ViewOutput;
    responseUrl?: string;
  },
) {
  const action = {
    type: 'button',
    action_id: fields.actionId,
    block_id: fields.blockId ?? 'b1',
    value: fields.value,
    text: { type: 'plain_text', text: 'button' },
    action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
  } satisfies ButtonAction;
  return {
    type: 'block_actions',
    actions: [action],
    team: { id: ctx.teamId, domain: 'rotor-test' },
    user: { id: fields.userId, username: fields.userId.toLowerCase(), name: fields.userId.toLowerCase(), team_id: ctx.teamId },
    ...(fields.view
      ? { view: fields.view, container: { type: 'view', view_id: fields.view.id } }
      : {
          channel: { id: fields.channelId ?? 'C0TESTCHAN', name: 'rotor-test' },
          message: { type: 'message' as const, ts: '1700000000.000100', text: '' },
          container: { type: 'message', message_ts: '1700000000.000100', channel_id: fields.channelId ?? 'C0TESTCHAN', is_ephemeral: true },
        }),
    token: legacyToken(),
    response_url: fields.responseUrl ?? ctx.responseUrl(),
    trigger_id: triggerId(),
    api_app_id: ctx.appId ?? 'A0ROTOR',
  } satisfies BlockAction<ButtonAction>;
}

/** Builds the `view` Slack echoes back on submission: the view as opened plus the typed-in state. */
export function submittedView(
  ctx: PayloadContext,
  fields: { callbackId: string; privateMetadata?: string; values: Record<string, Record<string, ViewStateValue>> },
): ViewOutput {
  return {
    id: 'V' + randomBytes(4).toString('hex').toUpperCase(),
    callback_id: fields.callbackId,
    team_id: ctx.teamId,
    app_id: ctx.appId ?? 'A0ROTOR',
    bot_id: 'B0ROTOR',
    title: { type: 'plain_text', text: 'Rotor' },
    type: 'modal',
    blocks: [],
    close: null,
    submit: { type: 'plain_text', text: 'Save' },
    state: { values: fields.values },
    hash: `${Math.floor(Date.now() / 1000)}.abc`,
    private_metadata: fields.privateMetadata ?? '',
    root_view_id: null,
    previous_view_id: null,
    clear_on_close: false,
    notify_on_close: false,
  } satisfies ViewOutput;
}

export function viewSubmission(ctx: PayloadContext, fields: { userId: string; view: ViewOutput }) {
  return {
    type: 'view_submission',
    team: { id: ctx.teamId, domain: 'rotor-test' },
    user: { id: fields.userId, name: fields.userId.toLowerCase(), team_id: ctx.teamId },
    view: fields.view,
    api_app_id: ctx.appId ?? 'A0ROTOR',
    token: legacyToken(),
    trigger_id: triggerId(),
  } satisfies ViewSubmitAction;
}

export function viewClosed(ctx: PayloadContext, fields: { userId: string; view: ViewOutput }) {
  return {
    type: 'view_closed',
    team: { id: ctx.teamId, domain: 'rotor-test' },
    user: { id: fields.userId, name: fields.userId.toLowerCase(), team_id: ctx.teamId },
    view: fields.view,
    api_app_id: ctx.appId ?? 'A0ROTOR',
    token: legacyToken(),
    is_cleared: false,
  } satisfies ViewClosedAction;
}

export function globalShortcut(ctx: PayloadContext, fields: { callbackId: string; userId: string }) {
  return {
    type: 'shortcut',
    callback_id: fields.callbackId,
    trigger_id: triggerId(),
    user: { id: fields.userId, username: fields.userId.toLowerCase(), team_id: ctx.teamId },
    team: { id: ctx.teamId, domain: 'rotor-test' },
    token: legacyToken(),
    action_ts: `${Math.floor(Date.now() / 1000)}.000300`,
    is_enterprise_install: false,
  } satisfies GlobalShortcut;
}

export function messageShortcut(ctx: PayloadContext, fields: { callbackId: string; userId: string; channelId?: string }) {
  const ts = `${Math.floor(Date.now() / 1000)}.000400`;
  return {
    type: 'message_action',
    callback_id: fields.callbackId,
    trigger_id: triggerId(),
    message_ts: ts,
    response_url: ctx.responseUrl(),
    message: { type: 'message', user: 'U0SOMEONE', ts, text: 'a message' },
    user: { id: fields.userId, name: fields.userId.toLowerCase(), team_id: ctx.teamId },
    channel: { id: fields.channelId ?? 'C0TESTCHAN', name: 'rotor-test' },
    team: { id: ctx.teamId, domain: 'rotor-test' },
    token: legacyToken(),
    action_ts: ts,
  } satisfies MessageShortcut;
}

/** An options request from an external_select as a person types into it (`value`). */
export function blockSuggestion(
  ctx: PayloadContext,
  fields: { actionId: string; blockId?: string; value: string; userId: string; view?: ViewOutput },
) {
  return {
    type: 'block_suggestion',
    action_id: fields.actionId,
    block_id: fields.blockId ?? 'b1',
    value: fields.value,
    api_app_id: ctx.appId ?? 'A0ROTOR',
    team: { id: ctx.teamId, domain: 'rotor-test' },
    user: { id: fields.userId, name: fields.userId.toLowerCase(), team_id: ctx.teamId },
    token: legacyToken(),
    container: fields.view
      ? { type: 'view', view_id: fields.view.id }
      : { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0TESTCHAN' },
    ...(fields.view ? { view: fields.view } : {}),
  } satisfies BlockSuggestion;
}

export function appHomeOpened(ctx: PayloadContext, fields: { userId: string; eventId?: string }) {
  const event = {
    type: 'app_home_opened',
    user: fields.userId,
    channel: 'D' + fields.userId.slice(1),
    tab: 'home',
    event_ts: `${Math.floor(Date.now() / 1000)}.000200`,
  } satisfies AppHomeOpenedEvent;
  return {
    token: legacyToken(),
    team_id: ctx.teamId,
    api_app_id: ctx.appId ?? 'A0ROTOR',
    event,
    type: 'event_callback',
    event_id: fields.eventId ?? 'Ev' + randomBytes(5).toString('hex').toUpperCase(),
    event_time: Math.floor(Date.now() / 1000),
  } satisfies EnvelopedEvent<AppHomeOpenedEvent>;
}

/** A Workflow Builder step of the app's, as Slack runs it: ids, inputs and the execution's short-lived token, all made now. */
export interface FunctionExecution {
  callbackId: string;
  executionId: string;
  workflowExecutionId: string;
  /** The execution's own token (Slack's `xwfp-` workflow token), generated at run time. */
  botAccessToken: string;
  inputs: Record<string, unknown>;
}

export function newFunctionExecution(callbackId: string, inputs: Record<string, unknown>): FunctionExecution {
  return {
    callbackId,
    executionId: 'Fx' + randomBytes(5).toString('hex').toUpperCase(),
    workflowExecutionId: 'Wx' + randomBytes(5).toString('hex').toUpperCase(),
    botAccessToken: `xwfp-${randomBytes(6).toString('hex')}`,
    inputs,
  };
}

/** The function_executed event that starts a step (Slack sends it to the app that implements the function). */
export function functionExecuted(ctx: PayloadContext, execution: FunctionExecution, fields: { eventId?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const event = {
    type: 'function_executed',
    function: {
      id: 'Fn' + randomBytes(5).toString('hex').toUpperCase(),
      callback_id: execution.callbackId,
      title: execution.callbackId,
      type: 'app',
      input_parameters: Object.keys(execution.inputs).map((name) => ({ type: 'string', name, is_required: true })),
      output_parameters: [],
      app_id: ctx.appId ?? 'A0ROTOR',
      date_created: now,
      date_updated: now,
      date_deleted: 0,
    },
    inputs: execution.inputs,
    function_execution_id: execution.executionId,
    workflow_execution_id: execution.workflowExecutionId,
    event_ts: `${now}.000500`,
    bot_access_token: execution.botAccessToken,
  } satisfies FunctionExecutedEvent;
  return {
    token: legacyToken(),
    team_id: ctx.teamId,
    api_app_id: ctx.appId ?? 'A0ROTOR',
    event,
    type: 'event_callback',
    event_id: fields.eventId ?? 'Ev' + randomBytes(5).toString('hex').toUpperCase(),
    event_time: now,
  } satisfies EnvelopedEvent<FunctionExecutedEvent>;
}

/**
 * A click on a button of a message the step posted with its token: Slack sends it with the
 * step's function_data and a fresh execution token.
 */
export function functionScopedClick(
  ctx: PayloadContext,
  execution: FunctionExecution,
  fields: { actionId: string; value: string; userId: string; channelId: string },
) {
  return {
    ...buttonClick(ctx, { actionId: fields.actionId, value: fields.value, userId: fields.userId, channelId: fields.channelId }),
    bot_access_token: execution.botAccessToken,
    function_data: { execution_id: execution.executionId, function: { callback_id: execution.callbackId }, inputs: execution.inputs },
  } satisfies BlockAction<ButtonAction>;
}

export function urlVerification() {
  return { token: legacyToken(), challenge: randomBytes(8).toString('hex'), type: 'url_verification' as const };
}

/** State values as Slack sends them for the input elements Rotor's modals use. */
export const stateValue = {
  text: (value: string | null): ViewStateValue => ({ type: 'plain_text_input', value }),
  select: (value: string | null): ViewStateValue => ({
    type: 'static_select',
    selected_option: value === null ? null : { text: { type: 'plain_text', text: value }, value },
  }),
  user: (userId: string | null): ViewStateValue => ({ type: 'users_select', selected_user: userId }),
  number: (value: string | null): ViewStateValue => ({ type: 'number_input', value }),
};
