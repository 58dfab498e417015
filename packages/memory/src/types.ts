/** Public data types of @verity/memory (wire names follow MemSync's REST API: snake_case). */

export const categories = ['identity', 'career', 'interests', 'relationships', 'health', 'finance', 'learning', 'travel', 'productivity', 'private'] as const
export type Category = (typeof categories)[number]
export type MemoryType = 'semantic' | 'episodic'
/** Who produced a memory: an LLM extraction, or the offline segmenter (no model involved). */
export type Extractor = 'llm' | 'segmenter' | 'manual'

export type MessageInput = {
  id?: string | undefined
  role: string
  content: string
  /** Speaker's display name (e.g. a person's name in a multi-party chat). */
  name?: string | undefined
  /** ISO 8601 string or epoch milliseconds; default: the time of the add call. */
  timestamp?: string | number | undefined
}

export type StoredMessage = {
  id: string
  role: string
  name: string | null
  content: string
  timestamp: string
  agent_id: string | null
  thread_id: string | null
  source: string | null
  metadata: Record<string, unknown> | null
}

export type Memory = {
  id: string
  user_id: string
  text: string
  categories: Category[]
  type: MemoryType
  importance: number
  /** When what the memory describes happened (ISO 8601). */
  event_time: string
  /** When the memory was recorded (ISO 8601). */
  record_time: string
  updated_at: string
  /** Ids of the messages the memory came from (client ids kept as given). */
  sources: string[]
  extractor: Extractor
  agent_id: string | null
  thread_id: string | null
  metadata: Record<string, unknown> | null
  reinforced: number
}

export type ScoredMemory = Memory & { score: number }

export type CategorySummary = { category: Category; summary: string; memory_count: number }
export type Profile = {
  user_id: string
  bio: string
  categories: CategorySummary[]
  /** 'llm' when a model wrote it, 'heuristic' when built from the memories without one. */
  generator: 'llm' | 'heuristic'
  memory_count: number
  updated_at: string
}
