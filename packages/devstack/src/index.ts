export { StackError } from './errors.ts';
export { repoRoot, stackDir } from './paths.ts';
export {
  type ComponentState,
  type StackInfo,
  type StackSettings,
  stackDown,
  stackSettings,
  stackStatus,
  stackUp,
} from './stack.ts';
