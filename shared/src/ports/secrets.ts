/** Where the worker gets credentials such as the Anthropic API key. */
export interface SecretSource {
  /** The secret's value, or null when it does not exist. Never logged. */
  getSecret(name: string): Promise<string | null>;
}
