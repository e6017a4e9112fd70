/**
 * The questions in a planner's reply. Asked for `{"questions": [...]}`, models also answer with a
 * bare array, objects with a `question` field, JSON inside a Markdown fence or after a sentence,
 * or — rarely — a numbered list instead of JSON; all of those are read. Questions are trimmed,
 * whitespace-collapsed and de-duplicated; the caller decides how many it needs.
 */
export function parseResearchQuestions(reply: string): string[] {
  for (const candidate of jsonCandidates(reply)) {
    const questions = questionsFromJson(candidate);
    if (questions && questions.length > 0) return normalize(questions);
  }
  return normalize(questionsFromList(reply));
}

function jsonCandidates(reply: string): string[] {
  const candidates: string[] = [];
  for (const m of reply.matchAll(/```[^\n]*\n([\s\S]*?)```/g)) if (m[1]) candidates.push(m[1]);
  candidates.push(reply);
  const object = between(reply, '{', '}');
  const array = between(reply, '[', ']');
  // The outermost structure first: an array inside an object is the object's field.
  const ordered = (object?.start ?? Infinity) < (array?.start ?? Infinity) ? [object, array] : [array, object];
  for (const span of ordered) if (span) candidates.push(span.text);
  return candidates;
}

function between(text: string, open: string, close: string): { start: number; text: string } | null {
  const start = text.indexOf(open);
  const end = text.lastIndexOf(close);
  return start >= 0 && end > start ? { start, text: text.slice(start, end + 1) } : null;
}

function questionsFromJson(text: string): string[] | null {
  let value: unknown;
  try {
    value = JSON.parse(text.trim());
  } catch {
    return null;
  }
  if (Array.isArray(value)) return questionsFromArray(value);
  if (value && typeof value === 'object') {
    const fields = value as Record<string, unknown>;
    const list = fields.questions ?? fields.key_questions ?? Object.values(fields).find(Array.isArray);
    return Array.isArray(list) ? questionsFromArray(list) : null;
  }
  return null;
}

function questionsFromArray(items: unknown[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') out.push(item);
    else if (item && typeof item === 'object' && typeof (item as { question?: unknown }).question === 'string') {
      out.push((item as { question: string }).question);
    }
  }
  return out;
}

/** `1. …`, `2) …`, `- …`, `* …`, `• …`, `Q1: …` lines. */
function questionsFromList(reply: string): string[] {
  const items: string[] = [];
  for (const line of reply.split('\n')) {
    const m = /^\s*(?:\d+[.)]|[-*•]|Q\d+[:.)])\s+(.+)$/i.exec(line);
    if (m?.[1]) items.push(m[1].replace(/^\*\*(.+)\*\*$/, '$1'));
  }
  return items;
}

function normalize(questions: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of questions) {
    const q = raw.replace(/\s+/g, ' ').trim().slice(0, 1000);
    const key = q.toLowerCase();
    if (q.length === 0 || seen.has(key)) continue;
    seen.add(key);
    out.push(q);
  }
  return out;
}
