import type { Message } from '@anthropic-ai/sdk/resources/messages';

/** The text blocks of a message, joined. */
export function textOf(message: Message): string {
  return message.content
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
}
