import { KafkaEcsError } from '@kafka-ecs/errors';
/**
 * An expected failure of the stack (a missing tool, a taken port, a broker that never became
 * ready). The CLI prints its message as the one line the user needs, without a stack trace.
 */
export class StackError extends KafkaEcsError {
  override name = 'StackError';
}
