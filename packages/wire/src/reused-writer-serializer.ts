/** What reusedWriterSerializer needs of a ts-proto message type. */
interface Encodes<Message, Writer extends { finish(): Uint8Array }> {
  encode(message: Message, writer?: Writer): Writer;
}

/**
 * A grpc-js `responseSerialize` for a ts-proto message type that encodes with one writer, kept from
 * call to call. The generated serializer makes a writer per message that starts at 128 bytes and
 * doubles (a zero-filled copy each time: 6 for a GetReceipt answer of ~6 KB, 9 for a SubmitBatch
 * answer of ~60 KB), then copies its bytes out twice (finish, Buffer.from). Here the writer stays
 * as large as the largest message it has written, and the bytes are copied out once. A message
 * whose encoding throws leaves the writer half-written: it is dropped, and the next call starts a
 * new one.
 */
export function reusedWriterSerializer<Message, Writer extends { finish(): Uint8Array }>(
  type: Encodes<Message, Writer>,
): (message: Message) => Buffer {
  let writer: Writer | undefined;
  return (message) => {
    let bytes: Uint8Array;
    try {
      writer = type.encode(message, writer);
      bytes = writer.finish();
    } catch (error: unknown) {
      writer = undefined;
      throw error;
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}
