namespace IommuKit.Kernel.Printk;

/// <summary>printk log levels (include/linux/kern_levels.h), most severe first.</summary>
public enum KernelLogLevel
{
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}
