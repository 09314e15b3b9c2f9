/** The command's help, apart from its code so `--help` loads nothing else. */
export const selftestHelp = `Checks a running deployment from outside, as a scanner would, over HTTPS: TLS versions,
cipher suites and certificate; HSTS; the HTTP redirect, including off-site redirect attempts,
and the API refused over HTTP; every security header against the values this version of the server sets; cookie flags and
prefixes; CORS and CSRF refusals (with respelled paths); error bodies; body-limit and
content-type refusals; forged access tokens; /.well-known/security.txt. One line per check
with PASS, FAIL or SKIP, the ASVS 5.0 requirement it proves and, for a failure, what to fix.
Exit status 1 if any check fails.

Options:
  --http-port N        the plain-HTTP port whose redirect is checked (default 80 for a URL on
                       port 443; otherwise those checks skip unless given; 0 skips them)
  --ca FILE            trust this PEM certificate or CA too (a private CA, the dev certificate)
  --insecure           do not verify the certificate (the certificate checks skip)
  --account E:P        a throwaway account (never a real one): session cookies and forged tokens
                       are checked with it
  --allow-lockout      with --account: send wrong passwords until sign-in locks, and check the
                       lock (the account stays locked for up to 15 minutes)
  --timeout-ms N       per request (default 10000)
  --json               the report as JSON on stdout`;
