#!/usr/bin/python3
"""Confluent's own Python client (python3-confluent-kafka, legacy confluent_kafka.avro API) against odpo.

Used by dev.odpo.registry.interop.ConfluentPythonInteropTest; runnable by hand too:

  produce:        AvroProducer writes one record (no key) with the schema in --schema-file and the
                  field values in --value-json (timestamp-millis fields as epoch milliseconds).
  produce-keyed:  as produce, with a plain UTF-8 string key (--key), the way odpo keys its topics; the
                  value is encoded by the legacy MessageSerializer, since AvroProducer requires Avro keys.
  consume:        AvroConsumer reads --count records from the start of --topic and prints each value as
                  a JSON line (timestamps as epoch milliseconds).
  consume-keyed:  as consume for topics with plain string keys (AvroConsumer would try to Avro-decode the
                  key): a plain Consumer plus the legacy MessageSerializer for the value; prints
                  {"key": ..., "value": ...} lines.

Exit status 0 on success; errors go to stderr.
"""
import argparse
import datetime
import json
import sys
import time

from avro import schema as avro_schema
from confluent_kafka import Consumer, Producer
from confluent_kafka.avro import AvroConsumer, AvroProducer, CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def timestamp_fields(schema_json):
    return {f["name"] for f in schema_json["fields"]
            if isinstance(f["type"], dict) and f["type"].get("logicalType") == "timestamp-millis"}


def to_avro(value, ts_fields):
    out = dict(value)
    for name in ts_fields:
        if name in out and isinstance(out[name], int):
            out[name] = EPOCH + datetime.timedelta(milliseconds=out[name])
    return out


def to_json(value):
    def default(o):
        if isinstance(o, datetime.datetime):
            if o.tzinfo is None:
                o = o.replace(tzinfo=datetime.timezone.utc)
            return int((o - EPOCH) / datetime.timedelta(milliseconds=1))
        if isinstance(o, bytes):
            return o.decode("latin-1")
        raise TypeError("cannot encode %r" % (o,))
    return json.dumps(value, default=default, sort_keys=True)


def produce(args, keyed):
    schema_text = open(args.schema_file, encoding="utf-8").read()
    schema_json = json.loads(schema_text)
    value = to_avro(json.loads(args.value_json), timestamp_fields(schema_json))
    schema = avro_schema.parse(schema_text)
    delivered = []

    def on_delivery(err, msg):
        if err is not None:
            print("delivery failed: %s" % err, file=sys.stderr)
        else:
            delivered.append(msg.offset())

    if keyed:
        registry = CachedSchemaRegistryClient({"url": args.registry})
        serializer = MessageSerializer(registry)
        producer = Producer({"bootstrap.servers": args.bootstrap})
        encoded = serializer.encode_record_with_schema(args.topic, schema, value)
        producer.produce(args.topic, value=encoded, key=args.key.encode("utf-8"), on_delivery=on_delivery)
    else:
        producer = AvroProducer({"bootstrap.servers": args.bootstrap, "schema.registry.url": args.registry},
                                default_value_schema=schema)
        producer.produce(topic=args.topic, value=value, on_delivery=on_delivery)
    remaining = producer.flush(args.timeout)
    if remaining or not delivered:
        print("record not delivered within %ss" % args.timeout, file=sys.stderr)
        return 1
    print(json.dumps({"offset": delivered[0]}))
    return 0


def consume(args, keyed):
    config = {"bootstrap.servers": args.bootstrap, "group.id": args.group, "auto.offset.reset": "earliest",
              "enable.auto.commit": False}
    if keyed:
        consumer = Consumer(config)
        serializer = MessageSerializer(CachedSchemaRegistryClient({"url": args.registry}))
    else:
        config["schema.registry.url"] = args.registry
        consumer = AvroConsumer(config)
    consumer.subscribe([args.topic])
    seen = 0
    deadline = time.time() + args.timeout
    try:
        while seen < args.count and time.time() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                print("consumer error: %s" % msg.error(), file=sys.stderr)
                continue
            if keyed:
                key = msg.key().decode("utf-8") if msg.key() is not None else None
                print(to_json({"key": key, "value": serializer.decode_message(msg.value())}))
            else:
                print(to_json(msg.value()))
            sys.stdout.flush()
            seen += 1
    finally:
        consumer.close()
    if seen < args.count:
        print("read %d of %d records within %ss" % (seen, args.count, args.timeout), file=sys.stderr)
        return 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["produce", "produce-keyed", "consume", "consume-keyed"])
    p.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers, host:port")
    p.add_argument("--registry", required=True, help="schema registry URL, http://host:port")
    p.add_argument("--topic", required=True)
    p.add_argument("--schema-file", help="produce: the value's Avro schema (.avsc JSON)")
    p.add_argument("--value-json", help="produce: the value's fields as a JSON object")
    p.add_argument("--key", help="produce-keyed: the record key (UTF-8 string)")
    p.add_argument("--group", default="confluent-python-interop", help="consume: consumer group id")
    p.add_argument("--count", type=int, default=1, help="consume: how many records to read")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before giving up")
    args = p.parse_args()
    if args.mode.startswith("produce") and (not args.schema_file or not args.value_json):
        p.error("produce needs --schema-file and --value-json")
    if args.mode == "produce-keyed" and args.key is None:
        p.error("produce-keyed needs --key")
    if args.mode.startswith("produce"):
        return produce(args, args.mode == "produce-keyed")
    return consume(args, args.mode == "consume-keyed")


if __name__ == "__main__":
    sys.exit(main())
