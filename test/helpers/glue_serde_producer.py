"""An independent Glue Schema Registry producer for the framing tests.

Reads one JSON request on stdin: {"registry", "schemaName", "definition", "record", "compress"},
where record["image"] is {"-type": <record name>, ...} and inline bytes arrive as hex in
record["image"]["dataHex"]. Registers (or finds) the schema version in Glue with the
aws-glue-schema-registry package, writes the record with fastavro, frames it with that package's
codec (creating the registry first when missing), and prints {"schemaVersionId", "valueHex"} on stdout. Glue's endpoint comes from the
standard AWS_ENDPOINT_URL_GLUE variable.
"""
import json
import sys

import boto3
from aws_schema_registry import SchemaRegistryClient
from aws_schema_registry.avro import AvroSchema
from aws_schema_registry.codec import encode

request = json.load(sys.stdin)
record = request["record"]
image = record["image"]
if "dataHex" in image:
    image["data"] = bytes.fromhex(image.pop("dataHex"))
glue = boto3.client("glue")
try:
    glue.create_registry(RegistryName=request["registry"])
except glue.exceptions.AlreadyExistsException:
    pass
client = SchemaRegistryClient(glue, registry_name=request["registry"])
version = client.get_or_register_schema_version(
    definition=request["definition"], schema_name=request["schemaName"], data_format="AVRO"
)
body = AvroSchema(request["definition"]).write(record)
value = encode(body, version.version_id, compression=request["compress"])
json.dump({"schemaVersionId": str(version.version_id), "valueHex": value.hex()}, sys.stdout)
