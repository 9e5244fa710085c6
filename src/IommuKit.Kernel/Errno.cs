namespace IommuKit.Kernel;

/// <summary>
/// Linux error numbers (asm-generic/errno-base.h, errno.h, include/linux/errno.h) with their real
/// values. Kernel and uAPI calls return <see cref="Ok"/> or the errno Linux would return (as a
/// positive name; Linux returns it negated, user space sees -1 and this value in errno).
/// </summary>
public enum Errno
{
    Ok = 0,
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    E2BIG = 7,
    ENOEXEC = 8,
    EBADF = 9,
    ECHILD = 10,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    ENOTBLK = 15,
    EBUSY = 16,
    EEXIST = 17,
    EXDEV = 18,
    ENODEV = 19,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    ENFILE = 23,
    EMFILE = 24,
    ENOTTY = 25,
    ETXTBSY = 26,
    EFBIG = 27,
    ENOSPC = 28,
    ESPIPE = 29,
    EROFS = 30,
    EMLINK = 31,
    EPIPE = 32,
    EDOM = 33,
    ERANGE = 34,
    EDEADLK = 35,
    ENAMETOOLONG = 36,
    ENOLCK = 37,
    ENOSYS = 38,
    ENOTEMPTY = 39,
    ELOOP = 40,
    ENODATA = 61,
    EOVERFLOW = 75,
    EOPNOTSUPP = 95,
    ETIMEDOUT = 110,
    EREMOTEIO = 121,

    /// <summary>Kernel-internal: probe should be retried later (include/linux/errno.h).</summary>
    EPROBE_DEFER = 517,

    /// <summary>Kernel-internal "operation not supported" (include/linux/errno.h), distinct from EOPNOTSUPP.</summary>
    ENOTSUPP = 524,
}
