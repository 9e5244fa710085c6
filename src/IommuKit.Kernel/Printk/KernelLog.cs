using IommuKit.Kernel.Base;

namespace IommuKit.Kernel.Printk;

/// <summary>
/// A machine's kernel message buffer (the printk ring). Subsystems write Linux's message texts;
/// tests and tools read them back. Bounded like the real ring: once <see cref="Capacity"/>
/// messages are held, the oldest are dropped. Thread-safe.
/// </summary>
public sealed class KernelLog
{
    private readonly List<KernelLogEntry> _entries = [];
    private readonly Lock _lock = new();

    /// <summary>A log holding at most <paramref name="capacity"/> messages.</summary>
    public KernelLog(int capacity = 16384)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Messages dropped because the buffer was full.</summary>
    public long Dropped { get; private set; }

    /// <summary>A snapshot of the messages held, oldest first.</summary>
    public IReadOnlyList<KernelLogEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>printk: appends one message (a trailing newline is removed).</summary>
    public void Print(KernelLogLevel level, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.TrimEnd('\n');
        lock (_lock)
        {
            if (_entries.Count == Capacity)
            {
                _entries.RemoveAt(0);
                Dropped++;
            }

            _entries.Add(new KernelLogEntry(level, text));
        }
    }

    /// <summary>dev_printk: prefixes the message with the device's driver (or bus) and name, as Linux does.</summary>
    public void DevPrint(KernelLogLevel level, Device device, string text)
    {
        ArgumentNullException.ThrowIfNull(device);
        Print(level, $"{device.DriverName ?? device.BusName} {device.Name}: {text}");
    }

    /// <summary>True if any message contains <paramref name="fragment"/> (ordinal).</summary>
    public bool Contains(string fragment)
    {
        lock (_lock)
        {
            foreach (KernelLogEntry e in _entries)
            {
                if (e.Text.Contains(fragment, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The messages as dmesg prints them, one per line.</summary>
    public override string ToString()
    {
        lock (_lock)
        {
            return string.Join('\n', _entries.Select(e => e.Text));
        }
    }
}
