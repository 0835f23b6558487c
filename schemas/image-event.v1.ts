/**
 * The v1 image event schema, mirrored from `image-event.v1.avsc` so that compiled and bundled
 * code (tsc output, esbuild Lambda bundles) carries it without shipping or locating a data file.
 * The `.avsc` stays the artifact producers in other languages use; a unit test fails if the two
 * differ in any way, so edit both together.
 */
import type { AvroSchema } from './fingerprint';

/**
 * The current image event schema (`imagepipeline.events.ImageEvent`, version 1), as parsed JSON.
 *
 * @example
 * fingerprintOf(IMAGE_EVENT_V1_SCHEMA).toString('hex'); // what v1 messages carry after C3 01
 */
export const IMAGE_EVENT_V1_SCHEMA = {
  "type": "record",
  "name": "ImageEvent",
  "namespace": "imagepipeline.events",
  "doc": "An image to ingest, published to the image topic in Avro single-object encoding (C3 01 + CRC-64-AVRO fingerprint of this schema + binary body).",
  "fields": [
    {
      "name": "eventId",
      "type": {
        "type": "string",
        "logicalType": "uuid"
      },
      "doc": "Producer-chosen UUID; the pipeline derives the image id from it, so redelivery does not create a second image."
    },
    {
      "name": "occurredAt",
      "type": {
        "type": "long",
        "logicalType": "timestamp-millis"
      },
      "doc": "When the producer created the event, in milliseconds since the Unix epoch (UTC)."
    },
    {
      "name": "customerId",
      "type": "string",
      "doc": "Tenant the image belongs to; must not be empty."
    },
    {
      "name": "fileName",
      "type": [
        "null",
        "string"
      ],
      "default": null,
      "doc": "Original file name, informational only: never used to build storage keys or to detect the format."
    },
    {
      "name": "contentType",
      "type": [
        "null",
        "string"
      ],
      "default": null,
      "doc": "Media type the producer claims; informational only, the format is detected from the bytes."
    },
    {
      "name": "attributes",
      "type": {
        "type": "map",
        "values": "string"
      },
      "default": {},
      "doc": "Free-form producer metadata, carried into the metadata record."
    },
    {
      "name": "image",
      "doc": "Where the image bytes are: inline (small images), or a reference for anything near Kafka's message size limit.",
      "type": [
        {
          "type": "record",
          "name": "InlineImage",
          "doc": "The image bytes themselves.",
          "fields": [
            {
              "name": "data",
              "type": "bytes"
            }
          ]
        },
        {
          "type": "record",
          "name": "S3ImageRef",
          "doc": "An S3 object holding the image (claim check).",
          "fields": [
            {
              "name": "bucket",
              "type": "string"
            },
            {
              "name": "key",
              "type": "string"
            },
            {
              "name": "versionId",
              "type": [
                "null",
                "string"
              ],
              "default": null
            }
          ]
        },
        {
          "type": "record",
          "name": "UrlImageRef",
          "doc": "An HTTPS URL to download the image from; the fetcher applies its own address policy.",
          "fields": [
            {
              "name": "url",
              "type": "string"
            }
          ]
        }
      ]
    }
  ]
} as const satisfies AvroSchema;
