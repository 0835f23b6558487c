import { ConfigError } from '../../../core/errors';
import { ENV, loadConfig, localStackEnvironment, parseCorsOrigins } from '../../../core/config';

const AWS_ENV = { [ENV.snsTopicArn]: 'arn:aws:sns:eu-west-1:111122223333:images', [ENV.region]: 'eu-west-1' };

describe('CORS settings in loadConfig', () => {
  it('allows no origin in AWS until one is configured', () => {
    expect(loadConfig(AWS_ENV).cors).toEqual({ allowedOrigins: [], allowCredentials: false });
  });

  it("allows the local upload page's origins on the local stack, following UPLOAD_PAGE_PORT", () => {
    expect(loadConfig(localStackEnvironment({})).cors.allowedOrigins).toEqual(['http://127.0.0.1:3001', 'http://localhost:3001']);
    expect(loadConfig({ ...localStackEnvironment({}), [ENV.uploadPagePort]: '4100' }).cors.allowedOrigins).toEqual(['http://127.0.0.1:4100', 'http://localhost:4100']);
  });

  it('reads a comma-separated list and normalises each origin as browsers send it', () => {
    const config = loadConfig({ ...AWS_ENV, [ENV.corsAllowedOrigins]: ' HTTPS://App.Example.com , http://localhost:8080,https://x.example.com:443' });
    expect(config.cors.allowedOrigins).toEqual(['https://app.example.com', 'http://localhost:8080', 'https://x.example.com']);
  });

  it.each([
    ['https://app.example.com/', 'a trailing slash'],
    ['https://app.example.com/upload', 'a path'],
    ['app.example.com', 'no scheme'],
    ['ftp://app.example.com', 'a non-http scheme'],
    ['https://*.example.com', 'a wildcard host'],
  ])('refuses %s (%s), naming the variable', (origin) => {
    expect(() => loadConfig({ ...AWS_ENV, [ENV.corsAllowedOrigins]: origin })).toThrow(
      new ConfigError(`CORS_ALLOWED_ORIGINS must list origins like "https://app.example.com" (scheme, host, optional port; no path), got "${origin}"`),
    );
  });

  it('takes * alone, but never with credentials and never mixed with origins', () => {
    expect(loadConfig({ ...AWS_ENV, [ENV.corsAllowedOrigins]: '*' }).cors.allowedOrigins).toEqual(['*']);
    expect(() => loadConfig({ ...AWS_ENV, [ENV.corsAllowedOrigins]: '*', [ENV.corsAllowCredentials]: 'true' })).toThrow(/cannot be "\*" when CORS_ALLOW_CREDENTIALS is true/);
    expect(() => parseCorsOrigins('X', ['*', 'https://a.example.com'], false)).toThrow(/X must be "\*" alone/);
  });

  it('allows credentials with listed origins', () => {
    expect(loadConfig({ ...AWS_ENV, [ENV.corsAllowedOrigins]: 'https://a.example.com', [ENV.corsAllowCredentials]: 'true' }).cors).toEqual({ allowedOrigins: ['https://a.example.com'], allowCredentials: true });
  });
});
