import { createInterface } from 'node:readline';

export type Prompt = (question: string, options?: { hidden?: boolean }) => Promise<string>;

/** Asks on the terminal; hidden answers (passwords) are not echoed. Reads plain lines from a pipe. */
export const terminalPrompt: Prompt = (question, options = {}) =>
  new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
    if (options.hidden && process.stdin.isTTY) {
      // readline echoes through _writeToOutput; print the question, then nothing of the answer.
      const output = rl as unknown as { _writeToOutput: (s: string) => void };
      let asked = false;
      output._writeToOutput = (s: string) => {
        if (!asked) process.stdout.write(s);
        asked = true;
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      if (options.hidden && process.stdin.isTTY) process.stdout.write('\n');
      resolve(answer.trim());
    });
    rl.once('close', () => reject(new Error('No answer (input closed).')));
  });
