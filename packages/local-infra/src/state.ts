import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Component, ComponentState, InfraState } from './types';

const EMPTY: InfraState = { version: 1, components: {} };

/** A missing or corrupt state file just means "nothing started yet": we never fail on it. */
export function readState(file: string): InfraState {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as InfraState;
    return parsed?.version === 1 && parsed.components ? parsed : structuredClone(EMPTY);
  } catch {
    return structuredClone(EMPTY);
  }
}

/** Write-then-rename so a concurrent reader (a test fixture) never sees a half-written file. */
export function writeState(file: string, state: InfraState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Read-modify-write of one component's entry (callers hold the infra lock). */
export function saveComponent(
  file: string,
  component: Component,
  entry: ComponentState | undefined,
): void {
  const state = readState(file);
  if (entry) state.components[component] = entry;
  else delete state.components[component];
  writeState(file, state);
}
