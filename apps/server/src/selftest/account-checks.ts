import { errorCodeOf } from './probe-client.js';
import { ProbeBrowser } from './probe-browser.js';
import { fail, pass, skip, type CheckGroup, type CheckResult } from './selftest-types.js';

/**
 * Wrong passwords sent at most before the sign-in must be refused. NIST SP 800-63B §5.2.2 allows
 * up to 100 failures; Portcullis locks far earlier, and a deployment that has not locked after
 * this many has no lock worth the name.
 */
export const MAX_WRONG_PASSWORDS = 30;

/**
 * ASVS 6.3.1 and 2.4.1: repeated wrong passwords are refused with 429 and Retry-After, and the
 * right one is refused too while the lock holds (otherwise the "lock" only slows guessing).
 * Opt-in: it locks the account it is given.
 */
export const accountChecks: CheckGroup = async ({ client, options }) => {
  const titles = {
    throttle: 'sign-in throttled after repeated wrong passwords',
    lock: 'a locked sign-in refuses even the right password',
  };
  if (options.account === undefined || !options.allowLockout) {
    const why =
      options.account === undefined
        ? 'needs a throwaway account: --account EMAIL:PASSWORD --allow-lockout'
        : 'locks the account: add --allow-lockout to run it';
    return [
      skip('sign-in-throttle', titles.throttle, ['6.3.1', '2.4.1'], why),
      skip('sign-in-lockout', titles.lock, ['6.3.1'], why),
    ];
  }
  const { email, password } = options.account;
  const browser = new ProbeBrowser(client);
  // The control: the account signs in, so a later refusal is the lock's doing, not a bad account.
  const control = await browser.signIn({ email, password });
  if (control.status !== 200) {
    const why = `signing in with --account answered ${control.status} ${errorCodeOf(control) ?? ''}; give a working throwaway account`;
    return [
      fail('sign-in-throttle', titles.throttle, ['6.3.1', '2.4.1'], why),
      fail('sign-in-lockout', titles.lock, ['6.3.1'], why),
    ];
  }
  const wrong = `${password}-selftest-wrong`;
  let refusedAfter: number | undefined;
  let retryAfter: string | undefined;
  let lastStatus = 0;
  for (let attempt = 1; attempt <= MAX_WRONG_PASSWORDS; attempt += 1) {
    const reply = await browser.signIn({ email, password: wrong });
    lastStatus = reply.status;
    if (reply.status === 429) {
      refusedAfter = attempt;
      retryAfter = reply.headers['retry-after'];
      break;
    }
    if (reply.status === 200) {
      return [
        fail(
          'sign-in-throttle',
          titles.throttle,
          ['6.3.1', '2.4.1'],
          'a wrong password signed in; check the account and the password verification',
        ),
        skip('sign-in-lockout', titles.lock, ['6.3.1'], 'not reached'),
      ];
    }
  }
  const results: CheckResult[] = [];
  if (refusedAfter === undefined) {
    results.push(
      fail(
        'sign-in-throttle',
        titles.throttle,
        ['6.3.1', '2.4.1'],
        `${MAX_WRONG_PASSWORDS} wrong passwords in a row were all answered (last ${lastStatus}); throttle sign-in per account and per client (429 with Retry-After)`,
      ),
    );
    results.push(skip('sign-in-lockout', titles.lock, ['6.3.1'], 'no lock was reached'));
    return results;
  }
  results.push(
    retryAfter === undefined
      ? fail(
          'sign-in-throttle',
          titles.throttle,
          ['6.3.1', '2.4.1'],
          `refused after ${refusedAfter} wrong passwords, but without Retry-After; send it with the 429`,
        )
      : pass(
          'sign-in-throttle',
          titles.throttle,
          ['6.3.1', '2.4.1'],
          `429 after ${refusedAfter} wrong passwords, Retry-After ${retryAfter}`,
        ),
  );
  const right = await browser.signIn({ email, password });
  results.push(
    right.status === 200
      ? fail(
          'sign-in-lockout',
          titles.lock,
          ['6.3.1'],
          'the right password signed in during the lock; count attempts before checking the password, and refuse while locked',
        )
      : pass(
          'sign-in-lockout',
          titles.lock,
          ['6.3.1'],
          `the right password answered ${right.status} ${errorCodeOf(right) ?? ''}`.trim(),
        ),
  );
  return results;
};
