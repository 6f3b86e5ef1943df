using System;
using System.Buffers;

namespace AutopilotExport.Engine.Api
{
    /// <summary>
    /// The buffer a bulk payload is written into, handed to Utf8JsonWriter as its IBufferWriter. Written over a
    /// Stream, the writer keeps a buffer of its own that doubles from a few hundred bytes to the whole payload
    /// and is then copied into the stream: about three payloads of garbage per call, a thousand calls a second
    /// in a fast run. Sized from the contact count, this one is usually allocated once and never copied.
    /// </summary>
    internal sealed class PayloadBuffer : IBufferWriter<byte>
    {
        private byte[] _buffer;
        private int _written;

        public PayloadBuffer(int initialCapacity) { _buffer = new byte[Math.Max(256, initialCapacity)]; }

        public ArraySegment<byte> WrittenSegment => new ArraySegment<byte>(_buffer, 0, _written);

        /// <summary>Starts over in the same memory (the row report reuses one buffer for every line).</summary>
        public void Clear() => _written = 0;

        public void Advance(int count)
        {
            if (count < 0 || _written + count > _buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
            _written += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsMemory(_written);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsSpan(_written);
        }

        private void Ensure(int sizeHint)
        {
            int needed = Math.Max(1, sizeHint);
            if (_buffer.Length - _written >= needed) return;
            var bigger = new byte[Math.Max(_buffer.Length * 2, _written + needed)];
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _written);
            _buffer = bigger;
        }
    }
}
