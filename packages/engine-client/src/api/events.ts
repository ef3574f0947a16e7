/**
 * Engine events (/events).
 * Part of the agreed public surface (gathered in ../api.ts).
 */
import type { CallOptions } from './connection.js';

export interface EventsOptions extends CallOptions {
  filters?: Record<string, string[]>;
  since?: string;
  until?: string;
}

export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano?: number;
}
