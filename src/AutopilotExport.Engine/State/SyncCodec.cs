using System;
using System.IO;
using System.Text;

namespace AutopilotExport.Engine.State
{
    /// <summary>The little binary vocabulary of the sync record files: LEB128 varints, length-prefixed UTF-8, CRC-32.</summary>
    internal static class SyncCodec
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        private static readonly uint[] CrcTable = BuildCrcTable();

        public static void WriteVarint(Stream s, ulong value)
        {
            while (value >= 0x80)
            {
                s.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            s.WriteByte((byte)value);
        }

        public static void WriteString(Stream s, string value, ref byte[] scratch)
        {
            int max = Utf8.GetMaxByteCount(value.Length);
            if (scratch.Length < max) scratch = new byte[Math.Max(max, scratch.Length * 2)];
            int n = Utf8.GetBytes(value, 0, value.Length, scratch, 0);
            WriteVarint(s, (ulong)n);
            s.Write(scratch, 0, n);
        }

        public static void WriteUInt64(Stream s, ulong value)
        {
            for (int i = 0; i < 8; i++) s.WriteByte((byte)(value >> (8 * i)));
        }

        public static uint Crc32(byte[] data, int offset, int count)
        {
            uint crc = 0xFFFFFFFFu;
            for (int i = offset; i < offset + count; i++) crc = CrcTable[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
            return ~crc;
        }

        private static uint[] BuildCrcTable()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                uint c = n;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[n] = c;
            }
            return table;
        }

        /// <summary>Reads the vocabulary from a byte array; any overrun or malformed value is an <see cref="InvalidDataException"/>.</summary>
        internal struct Reader
        {
            private readonly byte[] _data;
            private readonly int _end;

            public Reader(byte[] data, int offset, int count)
            {
                _data = data; Position = offset; _end = offset + count;
            }

            public int Position { get; private set; }
            public bool AtEnd => Position >= _end;

            public byte ReadByte()
            {
                if (Position >= _end) throw new InvalidDataException("the data ends early");
                return _data[Position++];
            }

            public ulong ReadVarint()
            {
                ulong value = 0;
                for (int shift = 0; shift < 64; shift += 7)
                {
                    byte b = ReadByte();
                    value |= (ulong)(b & 0x7F) << shift;
                    if ((b & 0x80) == 0) return value;
                }
                throw new InvalidDataException("a number is too long");
            }

            public int ReadCount(int max)
            {
                var v = ReadVarint();
                if (v > (ulong)max) throw new InvalidDataException($"a count ({v}) is out of range");
                return (int)v;
            }

            public string ReadString()
            {
                int n = ReadCount(_end - Position);
                try
                {
                    var s = Utf8.GetString(_data, Position, n);
                    Position += n;
                    return s;
                }
                catch (DecoderFallbackException)
                {
                    throw new InvalidDataException("a text is not valid UTF-8");
                }
            }

            public void Skip(int count)
            {
                if (count < 0 || _end - Position < count) throw new InvalidDataException("the data ends early");
                Position += count;
            }

            public ulong ReadUInt64()
            {
                if (_end - Position < 8) throw new InvalidDataException("the data ends early");
                ulong v = 0;
                for (int i = 0; i < 8; i++) v |= (ulong)_data[Position + i] << (8 * i);
                Position += 8;
                return v;
            }

            public uint ReadUInt32()
            {
                if (_end - Position < 4) throw new InvalidDataException("the data ends early");
                uint v = (uint)(_data[Position] | _data[Position + 1] << 8 | _data[Position + 2] << 16 | _data[Position + 3] << 24);
                Position += 4;
                return v;
            }
        }
    }
}
