/**
 * @module
 * One bucket as the driver sees it: the key layout (driver path → key), every SDK call wrapped so
 * failures arrive in the driver's error vocabulary, paginated listing and prefix deletion, and the
 * parameters every object write carries (storage class, encryption, ACL).
 */
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type ObjectCannedACL,
  type PutObjectCommandInput,
  type S3Client,
  type StorageClass,
} from '@aws-sdk/client-s3'
import { assertSafePath } from '../driver'
import { createS3Client } from './client'
import { toStorageError } from './errors'
import type { ResolvedS3Options } from './options'

/** What every object-creating request (PutObject, CopyObject, CreateMultipartUpload) carries. */
export type ObjectWriteParameters = Pick<
  PutObjectCommandInput,
  'ContentType' | 'StorageClass' | 'ServerSideEncryption' | 'SSEKMSKeyId' | 'ACL'
>

/** DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000

export class S3Bucket {
  readonly name: string
  readonly client: S3Client
  readonly writeParameters: ObjectWriteParameters

  constructor(
    readonly options: ResolvedS3Options,
    client: S3Client = createS3Client(options),
  ) {
    this.name = options.bucket
    this.client = client
    this.writeParameters = {
      ContentType: 'application/octet-stream',
      ...(options.storageClass.toUpperCase() === 'NONE' ? {} : { StorageClass: options.storageClass as StorageClass }),
      ...(options.encrypt ? { ServerSideEncryption: options.kmsKeyId ? 'aws:kms' : 'AES256' } : {}),
      ...(options.encrypt && options.kmsKeyId ? { SSEKMSKeyId: options.kmsKeyId } : {}),
      ...(options.objectAcl === 'private' ? {} : { ACL: options.objectAcl as ObjectCannedACL }),
    }
  }

  /** The key of a driver path; refuses paths that could escape the root. */
  keyOf(path: string): string {
    assertSafePath(path)
    return this.options.keyPrefix + path
  }

  /** The prefix all keys below a directory share. */
  directoryPrefix(path: string): string {
    return path === '' ? this.options.keyPrefix : `${this.keyOf(path)}/`
  }

  /** `CopySource` of a key: bucket and URL-encoded key. */
  copySource(key: string): string {
    return `${this.name}/${key.split('/').map(encodeURIComponent).join('/')}`
  }

  /**
   * Runs one SDK call; a failure is rethrown as PathNotFoundError (a missing `path`) or as
   * StorageUnavailableError.
   */
  async call<T>(operation: string, path: string | undefined, request: (client: S3Client) => Promise<T>): Promise<T> {
    try {
      return await request(this.client)
    } catch (error) {
      throw toStorageError(error, {
        operation,
        bucket: this.name,
        endpointLabel: this.options.endpointLabel,
        ...(path === undefined ? {} : { path }),
      })
    }
  }

  /** Every page of a listing; with a delimiter, pages also carry the "subdirectories". */
  async *listPages(
    prefix: string,
    options: { delimiter?: string; maxKeys?: number } = {},
  ): AsyncGenerator<ListObjectsV2CommandOutput> {
    let continuationToken: string | undefined
    do {
      const page = await this.call('ListObjectsV2', undefined, (s3) =>
        s3.send(
          new ListObjectsV2Command({
            Bucket: this.name,
            Prefix: prefix,
            ...(options.delimiter ? { Delimiter: options.delimiter } : {}),
            ...(options.maxKeys ? { MaxKeys: options.maxKeys } : {}),
            ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
          }),
        ),
      )
      yield page
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (continuationToken)
  }

  async deleteKey(key: string): Promise<void> {
    await this.call('DeleteObject', undefined, (s3) =>
      s3.send(new DeleteObjectCommand({ Bucket: this.name, Key: key })),
    )
  }

  /** Deletes a key and everything below it as a directory (an upload's parts, a repository). */
  async deleteTree(key: string): Promise<void> {
    await Promise.all([this.deleteKey(key), this.deletePrefix(`${key}/`)])
  }

  /** Deletes every key under `prefix`, a listing page at a time. */
  async deletePrefix(prefix: string): Promise<void> {
    for await (const page of this.listPages(prefix, { maxKeys: DELETE_BATCH })) {
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []))
      if (keys.length === 0) continue
      const result = await this.call('DeleteObjects', undefined, (s3) =>
        s3.send(new DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects: keys, Quiet: true } })),
      )
      const failed = result.Errors?.[0]
      if (failed) {
        throw toStorageError(
          { name: failed.Code ?? 'DeleteFailed', $metadata: { httpStatusCode: 500 } },
          {
            operation: `DeleteObjects (${failed.Key})`,
            bucket: this.name,
            endpointLabel: this.options.endpointLabel,
          },
        )
      }
    }
  }
}
