import type { Agent } from './agent.dto';

/** Where agents live; the service depends on this token only. */
export abstract class AgentsRepository {
  abstract get(id: string): Promise<Agent | undefined>;
  abstract list(): Promise<Agent[]>;
  /** False when the id is taken. */
  abstract create(agent: Agent): Promise<boolean>;
  /**
   * Applies `change` to the stored agent atomically (a concurrent change makes it run again on the
   * fresh value, so neither is lost); undefined when the agent does not exist. What `change` throws
   * leaves unchanged.
   */
  abstract update(id: string, change: (current: Agent) => Agent): Promise<Agent | undefined>;
  /** False when the agent did not exist. */
  abstract remove(id: string): Promise<boolean>;
  /**
   * Creates the seeds whose ids were never seeded before and remembers them, so a seed that was
   * deleted stays deleted. Returns the ids created.
   */
  abstract seed(agents: Agent[]): Promise<string[]>;
}
