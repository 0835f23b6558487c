/**
 * `ingest import <url>` checks what it was given before it looks the key up or sends anything:
 * a URL the API would refuse at submission (the API's own rule: `HttpsImageFetcher#refusal`,
 * built from this shell's FETCH_* settings), a `--timeout`, `--api`, `--key` or `--file-name`
 * outside its rule. Each is exit 2, one line naming the option or the URL and the rule, and no
 * socket is opened. An API that is not there is exit 1 with the address it tried.
 * (test/integration/cli-refusals.test.ts runs the same against the real API and shows the API
 * refuses the same URLs.)
 */
import { ENV } from '../../../core/config';
import { targetRefusal } from '../../../core/adapters/fetch';
import { runIngest } from '../../helpers/ingest-cli';
import { unusedLoopbackPort } from '../../helpers/loopback-server';

const GOOD_URL = 'https://images.example.com/cat.jpg';

describe('ingest import refuses, before sending, a URL the API would refuse at submission', () => {
  it.each([
    ['plain http', 'http://images.example.com/cat.jpg', {}, 'scheme "http:" is not allowed'],
    ['localhost', 'https://localhost/cat.jpg', {}, 'host "localhost" is loopback'],
    ['a name under .localhost', 'https://api.localhost/cat.jpg', {}, 'is loopback'],
    ['a private IPv4 literal', 'https://10.0.0.7/cat.jpg', {}, 'address 10.0.0.7 is private (RFC 1918)'],
    ['a loopback IPv4 literal', 'https://127.0.0.1/cat.jpg', {}, 'address 127.0.0.1 is loopback'],
    ['a loopback IPv6 literal', 'https://[::1]/cat.jpg', {}, 'address ::1 is loopback'],
    ['the metadata endpoint', 'https://169.254.169.254/latest/meta-data/', {}, 'instance-metadata'],
    ['credentials in the URL', 'https://user:secret@images.example.com/cat.jpg', {}, 'embedded credentials'],
    ['a port that is not allowed', 'https://images.example.com:8443/cat.jpg', {}, 'port 8443 is not allowed (443 only)'],
    ['a loopback port outside FETCH_ALLOWED_PORTS', 'http://127.0.0.1:18080/cat.jpg', { [ENV.fetchAllowLoopback]: 'true', [ENV.fetchAllowedPorts]: '18081' }, 'port 18080 is not allowed'],
    ['not a URL at all', 'cat.jpg', {}, 'not a valid absolute URL'],
    ['a URL over 2048 bytes', `https://images.example.com/${'a'.repeat(2100)}`, {}, 'Expected at most 2048 UTF-8 bytes for <url>'],
  ])('%s: exit 2, one line, no socket', async (_what, url, env: Record<string, string>, message) => {
    const { code, stderr, sockets } = await runIngest(['import', url, '--key', 'k'], env);
    expect({ code, sockets }).toEqual({ code: 2, sockets: [] });
    expect(stderr.startsWith('error: not sent (the API would refuse this URL): ')).toBe(true);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('uses the API\'s own rule, not a copy: the message is the fetcher\'s targetRefusal for the URL', async () => {
    const url = 'https://192.168.1.10/cat.jpg';
    const { stderr } = await runIngest(['import', url, '--key', 'k']);
    expect(stderr).toBe(`error: not sent (the API would refuse this URL): ${targetRefusal(url)}\n`);
  });
});

describe('ingest import refuses bad option values before sending', () => {
  it.each([['abc'], ['-5'], ['0'], ['1.5'], ['99999'], ['1e3'], ['']])('--timeout %j: exit 2 naming --timeout and its range', async (value) => {
    const { code, stderr, sockets } = await runIngest(['import', GOOD_URL, '--key', 'k', '--wait', `--timeout=${value}`]);
    expect({ code, sockets }).toEqual({ code: 2, sockets: [] });
    expect(stderr).toBe(`error: Expected a whole number of seconds from 1 to 3600 for --timeout but received "${value}" of type string\n`);
  });

  it.each([['not a url'], ['127.0.0.1:3000'], ['http://127.0.0.1:3000/?x=1']])('--api %j: exit 2 naming --api, not a bare "Invalid URL"', async (value) => {
    const { code, stderr, sockets } = await runIngest(['import', GOOD_URL, '--key', 'k', '--api', value]);
    expect({ code, sockets }).toEqual({ code: 2, sockets: [] });
    expect(stderr).toContain(`for --api but received ${JSON.stringify(value)}`);
    expect(stderr).not.toContain('Invalid URL');
  });

  it('--key with a space: exit 2 naming --key, nothing sent', async () => {
    const { code, stderr, sockets } = await runIngest(['import', GOOD_URL, '--key', 'pasted key']);
    expect({ code, sockets }).toEqual({ code: 2, sockets: [] });
    expect(stderr).toContain('for --key;');
    expect(stderr).not.toContain('pasted key');
  });

  it('--file-name with a control character: exit 2 with the pipeline\'s file-name rule', async () => {
    const { code, stderr, sockets } = await runIngest(['import', GOOD_URL, '--key', 'k', '--file-name', 'two\nlines.jpg']);
    expect({ code, sockets }).toEqual({ code: 2, sockets: [] });
    expect(stderr).toContain('for --file-name but received');
  });
});

describe('ingest import when the API is not there', () => {
  it('exit 1, one line naming the address it tried and that the stack/API may not be running (not "fetch failed")', async () => {
    const port = await unusedLoopbackPort();
    const { code, stderr } = await runIngest(['import', GOOD_URL, '--key', 'k', '--api', `http://127.0.0.1:${port}`]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: cannot reach the API at http://127.0.0.1:${port} (ECONNREFUSED: connection refused: nothing listens there); ` +
        'the stack and the API may not be running: start them with `ingest start` (or `make start`), or point --api at a running API\n',
    );
  });
});
