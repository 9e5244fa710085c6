using System.Text;

namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>
/// String and string-list property values (Devicetree Specification v0.4 §2.2.4:
/// <c>&lt;string&gt;</c> is NUL-terminated, <c>&lt;stringlist&gt;</c> is a concatenation of them).
/// </summary>
/// <remarks>
/// Validity follows Linux's <c>of_property_read_string_helper</c>: the value must end with a NUL
/// inside its length; empty strings inside a list are kept. Decoders never throw on bad input.
/// </remarks>
public static class DtStrings
{
    /// <summary>True when the value is a well-formed string list: non-empty and NUL-terminated.</summary>
    public static bool IsStringList(ReadOnlySpan<byte> value) => value.Length > 0 && value[^1] == 0;

    /// <summary>
    /// Reads the first string of a value (Linux <c>of_property_read_string</c>): false when the value
    /// has no NUL inside its length.
    /// </summary>
    public static bool TryReadString(ReadOnlySpan<byte> value, out string result)
    {
        int nul = value.IndexOf((byte)0);
        if (nul < 0)
        {
            result = string.Empty;
            return false;
        }

        result = Encoding.UTF8.GetString(value[..nul]);
        return true;
    }

    /// <summary>Reads every string of a string list; false when the list is empty or not NUL-terminated.</summary>
    public static bool TryReadStringList(ReadOnlySpan<byte> value, out string[] result)
    {
        if (!IsStringList(value))
        {
            result = [];
            return false;
        }

        int count = value.Count((byte)0);
        result = new string[count];
        int i = 0;
        foreach (ReadOnlySpan<byte> item in Enumerate(value))
        {
            result[i++] = Encoding.UTF8.GetString(item);
        }

        return true;
    }

    /// <summary>
    /// Enumerates the strings of a list without allocating. A trailing fragment without its NUL
    /// (a malformed list) is not returned; check <see cref="IsStringList"/> to tell.
    /// </summary>
    public static StringListEnumerator Enumerate(ReadOnlySpan<byte> value) => new(value);

    /// <summary>
    /// Index of the first string equal to <paramref name="text"/> (ordinal; Linux
    /// <c>of_property_match_string</c>), or -1.
    /// </summary>
    public static int IndexOf(ReadOnlySpan<byte> value, ReadOnlySpan<char> text) => IndexOf(value, text, ignoreCase: false);

    /// <summary>
    /// Index of the first string equal to <paramref name="text"/>, or -1. With
    /// <paramref name="ignoreCase"/>, ASCII letters compare case-insensitively, as Linux compares
    /// <c>compatible</c> strings (<c>of_compat_cmp</c> is <c>strcasecmp</c>).
    /// </summary>
    public static int IndexOf(ReadOnlySpan<byte> value, ReadOnlySpan<char> text, bool ignoreCase)
    {
        int index = 0;
        foreach (ReadOnlySpan<byte> item in Enumerate(value))
        {
            if (AsciiEquals(item, text, ignoreCase))
            {
                return index;
            }

            index++;
        }

        return -1;
    }

    /// <summary>Compares raw string bytes with text, ordinally or with ASCII case folding.</summary>
    public static bool AsciiEquals(ReadOnlySpan<byte> bytes, ReadOnlySpan<char> text, bool ignoreCase)
    {
        if (bytes.Length != text.Length)
        {
            return false;
        }

        for (int i = 0; i < bytes.Length; i++)
        {
            int a = bytes[i];
            int b = text[i];
            if (a == b)
            {
                continue;
            }

            if (!ignoreCase || (uint)((a | 0x20) - 'a') > 'z' - 'a' || (a | 0x20) != (b | 0x20))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Encodes strings as a string-list value (each followed by a NUL).</summary>
    public static byte[] Encode(params ReadOnlySpan<string> strings)
    {
        int length = 0;
        foreach (string s in strings)
        {
            length += Encoding.UTF8.GetByteCount(s) + 1;
        }

        byte[] value = new byte[length];
        int offset = 0;
        foreach (string s in strings)
        {
            offset += Encoding.UTF8.GetBytes(s, value.AsSpan(offset));
            value[offset++] = 0;
        }

        return value;
    }

    /// <summary>Allocation-free enumerator over the NUL-terminated strings of a value.</summary>
    public ref struct StringListEnumerator
    {
        private ReadOnlySpan<byte> _rest;

        internal StringListEnumerator(ReadOnlySpan<byte> value)
        {
            _rest = value;
            Current = default;
        }

        /// <summary>The current string, without its NUL.</summary>
        public ReadOnlySpan<byte> Current { get; private set; }

        /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
        public readonly StringListEnumerator GetEnumerator() => this;

        /// <summary>Advances to the next complete string.</summary>
        public bool MoveNext()
        {
            int nul = _rest.IndexOf((byte)0);
            if (nul < 0)
            {
                _rest = default;
                return false;
            }

            Current = _rest[..nul];
            _rest = _rest[(nul + 1)..];
            return true;
        }
    }
}
