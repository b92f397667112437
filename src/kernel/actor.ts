/** Who caused an event: a person, one of their API keys, or the platform itself. */
export interface EventActor {
  type: 'user' | 'api_key' | 'system';
  id: string | null;
}
