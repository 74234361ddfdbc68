export { MAX_STEPS, planFlowTree, templateStepRefs, validateSteps } from './step-graph';
export type { StepGraph, StepGraphResult } from './step-graph';
export { renderStepPrompt, stepCacheKey, stepChatRequest } from './step-prompt';
export { decomposeRequest, MIN_CONDENSE_CHARS } from './decompose';
export { directStepDispatcher, runStep } from './run-step.stage';
export type {
  RunStepInput,
  StepCall,
  StepCallOptions,
  StepDispatcher,
  StepFallback,
  StepLease,
  StepLock,
  StepOutcome,
  StepPorts,
} from './run-step.stage';
export { chooseStepModel } from './step-model';
export type { StepContext } from './step-model';
export { assembleStepsResult, outputStepOf, stepFailureResult } from './assemble-steps.stage';
export { planSteps } from './plan-steps.stage';
export type { StepsPlan } from './plan-steps.stage';
