/**
 * Fault 2 of issue 12, second half: AWS errors are classified by what the SDK says of them
 * ($fault, $retryable, throttling and 5xx codes), so a permanent refusal is not retried forever.
 */
import { ConditionalCheckFailedException, DynamoDBServiceException, InternalServerError, ProvisionedThroughputExceededException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { NoSuchBucket, S3ServiceException } from '@aws-sdk/client-s3';
import { SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { asDependencyError, isRetriableSdkError } from '../../../core/adapters/dependency-error';
import { DependencyError, DependencyRejectedError, UnsupportedImageError } from '../../../core/errors';

const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe('classifying AWS SDK errors', () => {
  const permanent: [string, Error][] = [
    ['DynamoDB ValidationException (item over 400 KB)', new DynamoDBServiceException({ name: 'ValidationException', $fault: 'client', message: 'Item size has exceeded the maximum allowed size', ...metadata(400) })],
    ['DynamoDB ResourceNotFoundException', new ResourceNotFoundException({ message: 'Requested resource not found', ...metadata(400) })],
    ['DynamoDB AccessDeniedException', new DynamoDBServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'no', ...metadata(400) })],
    ['S3 AccessDenied', new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', ...metadata(403) })],
    ['S3 NoSuchBucket', new NoSuchBucket({ message: 'The specified bucket does not exist', ...metadata(404) })],
    ['Secrets Manager AccessDeniedException', new SecretsManagerServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'no', ...metadata(400) })],
    ['SNS InvalidParameter', Object.assign(new Error('Invalid parameter: Message too long'), { name: 'InvalidParameterException', $fault: 'client', ...metadata(400) })],
  ];
  const transient: [string, Error][] = [
    ['DynamoDB ProvisionedThroughputExceededException (throttling)', new ProvisionedThroughputExceededException({ message: 'slow down', ...metadata(400) })],
    ['DynamoDB ThrottlingException', new DynamoDBServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', ...metadata(400) })],
    ['DynamoDB InternalServerError (5xx)', new InternalServerError({ message: 'oops', ...metadata(500) })],
    ['S3 SlowDown (503)', new S3ServiceException({ name: 'SlowDown', $fault: 'server', message: 'Please reduce your request rate', ...metadata(503) })],
    ['a $retryable client fault', Object.assign(new Error('TransactionConflict'), { name: 'TransactionConflictException', $fault: 'client', $retryable: {}, ...metadata(400) })],
    ['a connection refused (no service answer)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['a socket timeout', Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })],
  ];

  it.each(permanent)('%s is permanent: a DependencyRejectedError, not retriable', (_name, error) => {
    expect(isRetriableSdkError(error)).toBe(false);
    const wrapped = asDependencyError('Service', 'Operation key', error);
    expect(wrapped).toBeInstanceOf(DependencyRejectedError);
    expect((wrapped as DependencyRejectedError).retriable).toBe(false);
    expect((wrapped as DependencyRejectedError).code).toBe('DEPENDENCY_REJECTED');
    expect((wrapped as DependencyRejectedError).cause).toBe(error);
  });

  it.each(transient)('%s is retriable: a DependencyError', (_name, error) => {
    expect(isRetriableSdkError(error)).toBe(true);
    const wrapped = asDependencyError('Service', 'Operation', error);
    expect(wrapped).toBeInstanceOf(DependencyError);
    expect((wrapped as DependencyError).retriable).toBe(true);
  });

  it('names a network failure by its errno code (the SDK error itself is a plain Error), and a service error by its name', () => {
    expect(asDependencyError('DynamoDB', 'Query', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })).message).toBe('DynamoDB Query failed: ECONNREFUSED');
    expect(asDependencyError('S3', 'GetObject', Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT' })).message).toBe('S3 GetObject failed: ETIMEDOUT');
    expect(asDependencyError('S3', 'GetObject', new Error('something')).message).toBe('S3 GetObject failed: Error');
    expect(asDependencyError('S3', 'GetObject', new Error('EXPIRED TOKEN')).message).toBe('S3 GetObject failed: Error');
    // What the SDK's retry middleware makes of a network error from another realm (e.g. a test VM).
    expect(asDependencyError('DynamoDB', 'Query', new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:8000')).message).toBe('DynamoDB Query failed: ECONNREFUSED');
    expect(asDependencyError('SNS', 'Publish', 'a thrown string').message).toBe('SNS Publish failed: Error');
    expect(asDependencyError('DynamoDB', 'Query', new InternalServerError({ message: 'oops', ...metadata(500) })).message).toBe('DynamoDB Query failed: InternalServerError');
  });

  it('passes our own errors and bugs through unchanged', () => {
    const ours = new UnsupportedImageError('no');
    const bug = new TypeError('x is undefined');
    expect(asDependencyError('S3', 'GetObject', ours)).toBe(ours);
    expect(asDependencyError('S3', 'GetObject', bug)).toBe(bug);
    // A condition failure is the adapters' business; if one escapes, it is not worth retrying.
    expect(isRetriableSdkError(new ConditionalCheckFailedException({ message: 'no', ...metadata(400) }))).toBe(false);
  });
});
