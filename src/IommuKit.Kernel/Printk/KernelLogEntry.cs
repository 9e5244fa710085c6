namespace IommuKit.Kernel.Printk;

/// <summary>One kernel message: its level and the text as dmesg would show it (without the timestamp).</summary>
public readonly record struct KernelLogEntry(KernelLogLevel Level, string Text)
{
    public override string ToString() => Text;
}
