import { zxcvbn, zxcvbnOptions } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as englishDictionary, translations } from '@zxcvbn-ts/language-en';

// This module is only ever loaded with import(): the dictionaries are several hundred kilobytes
// and only the register and change-password forms need them.
zxcvbnOptions.setOptions({
  dictionary: { ...commonDictionary, ...englishDictionary },
  graphs: adjacencyGraphs,
  translations,
});

export type StrengthScore = 0 | 1 | 2 | 3 | 4;

export interface StrengthEstimate {
  score: StrengthScore;
  warning: string | undefined;
  suggestions: string[];
}

/** `userInputs` (email, name) count as guessable words: a password containing them is weak. */
export function estimateStrength(
  password: string,
  userInputs: readonly string[],
): StrengthEstimate {
  const inputs = userInputs
    .flatMap((input) => [input, ...input.split(/[^\p{L}\p{N}]+/u)])
    .filter((input) => input.length > 0);
  const result = zxcvbn(password, inputs);
  return {
    score: result.score,
    warning: result.feedback.warning ?? undefined,
    suggestions: result.feedback.suggestions,
  };
}
