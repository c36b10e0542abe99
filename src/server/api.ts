import type { Orchestrator } from '../actors/orchestrator.js';

/** What routes may call: the orchestrator's public surface (tests pass fakes of it). */
export type CaoApi = Pick<
  Orchestrator,
  | 'events' | 'createSession' | 'addTerminal' | 'listSessions' | 'getSession' | 'listSessionTerminals' | 'deleteSession'
  | 'getTerminal' | 'allTerminals' | 'sendInput' | 'sendKeys' | 'getOutput' | 'exitTerminal' | 'deleteTerminal' | 'workingDirectory'
  | 'postMessage' | 'listMessages' | 'getMessage' | 'startHandoff' | 'getHandoff' | 'cancelHandoff' | 'cancelHandoffRequest' | 'assign'
  | 'listFlows' | 'getFlow' | 'addFlowFile' | 'createFlow' | 'removeFlow' | 'setFlowEnabled' | 'runFlow'
>;

export interface ServerInfo {
  version: string;
  home: string;
  tmuxSocket: string | undefined;
}
