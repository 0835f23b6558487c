import { ConfigError } from '../../../core/errors';
import { DEFAULT_ENCODING, ENV, loadConfig } from '../../../core/config';

const AWS_ENV = { [ENV.snsTopicArn]: 'arn:aws:sns:eu-west-1:111122223333:images', [ENV.region]: 'eu-west-1' };

describe('loadConfig: encoder settings', () => {
  it('defaults to the settings chosen by the encoder study', () => {
    expect(loadConfig(AWS_ENV).encoding).toEqual(DEFAULT_ENCODING);
  });

  it('reads every setting from its environment variable', () => {
    const config = loadConfig({
      ...AWS_ENV,
      [ENV.webpEffort]: '6',
      [ENV.webpAlphaQuality]: '0',
      [ENV.jpegChromaSubsampling]: '4:4:4',
      [ENV.jpegTrellisQuantisation]: 'true',
      [ENV.jpegMozjpeg]: 'true',
      [ENV.resizeKernel]: 'mitchell',
      [ENV.fastShrinkOnLoad]: 'false',
    });

    expect(config.encoding).toEqual({
      webpEffort: 6,
      webpAlphaQuality: 0,
      jpegChromaSubsampling: '4:4:4',
      jpegTrellisQuantisation: true,
      jpegMozjpeg: true,
      resizeKernel: 'mitchell',
      fastShrinkOnLoad: false,
    });
  });

  it.each([
    [ENV.webpEffort, '7', /WEBP_EFFORT must be an integer between 0 and 6, got "7"/],
    [ENV.webpAlphaQuality, '101', /WEBP_ALPHA_QUALITY must be an integer between 0 and 100, got "101"/],
    [ENV.jpegChromaSubsampling, '4:2:2', /JPEG_CHROMA_SUBSAMPLING must be one of 4:2:0, 4:4:4, got "4:2:2"/],
    [ENV.jpegMozjpeg, 'maybe', /JPEG_MOZJPEG must be true or false, got "maybe"/],
    [ENV.resizeKernel, 'bicubic', /RESIZE_KERNEL must be one of nearest, .*, got "bicubic"/],
  ])('refuses %s=%s, naming the variable', (name, value, message) => {
    expect(() => loadConfig({ ...AWS_ENV, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...AWS_ENV, [name]: value })).toThrow(message);
  });
});
