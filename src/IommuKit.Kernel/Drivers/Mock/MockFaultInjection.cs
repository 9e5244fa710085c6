using IommuKit.Kernel.Base;

namespace IommuKit.Kernel.Drivers.Mock;

/// <summary>
/// One-shot failure points of a <see cref="MockIommuDriver"/>, in the spirit of iommufd's fail_nth:
/// arm one, run the operation under test, and the chosen driver call fails with the chosen errno.
/// </summary>
public sealed class MockFaultInjection
{
    private int _mapCountdown;
    private ulong _mapPartialPages;
    private Errno _mapError;
    private int _attachCountdown;
    private Errno _attachError;
    private Func<Device, bool>? _attachFilter;
    private Errno _allocError;
    private Errno _syncMapError;
    private Errno _probeError;

    /// <summary>
    /// The <paramref name="nth"/> map_pages call from now (1 = the next) maps
    /// <paramref name="pagesBeforeFailure"/> of its pages, reports them as mapped, and fails with <paramref name="error"/>.
    /// </summary>
    public void FailMapPages(int nth, Errno error, ulong pagesBeforeFailure = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nth, 1);
        _mapCountdown = nth;
        _mapError = error;
        _mapPartialPages = pagesBeforeFailure;
    }

    /// <summary>The <paramref name="nth"/> attach_dev call from now (optionally only counting devices <paramref name="which"/> accepts) fails.</summary>
    public void FailAttach(Errno error, int nth = 1, Func<Device, bool>? which = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nth, 1);
        _attachCountdown = nth;
        _attachError = error;
        _attachFilter = which;
    }

    /// <summary>The next domain allocation (paging or identity) fails.</summary>
    public void FailDomainAlloc(Errno error) => _allocError = error;

    /// <summary>The next iotlb_sync_map fails.</summary>
    public void FailIotlbSyncMap(Errno error) => _syncMapError = error;

    /// <summary>The next probe_device fails.</summary>
    public void FailProbe(Errno error) => _probeError = error;

    /// <summary>Disarms everything.</summary>
    public void Clear()
    {
        _mapCountdown = 0;
        _attachCountdown = 0;
        _attachFilter = null;
        _allocError = Errno.Ok;
        _syncMapError = Errno.Ok;
        _probeError = Errno.Ok;
    }

    internal bool MapPagesFails(out Errno error, out ulong partialPages)
    {
        error = Errno.Ok;
        partialPages = 0;
        if (_mapCountdown == 0 || --_mapCountdown != 0)
        {
            return false;
        }

        error = _mapError;
        partialPages = _mapPartialPages;
        return true;
    }

    internal Errno TakeAttach(Device dev)
    {
        if (_attachCountdown == 0 || (_attachFilter is not null && !_attachFilter(dev)) || --_attachCountdown != 0)
        {
            return Errno.Ok;
        }

        _attachFilter = null;
        return _attachError;
    }

    internal Errno TakeAlloc() => Take(ref _allocError);

    internal Errno TakeSyncMap() => Take(ref _syncMapError);

    internal Errno TakeProbe() => Take(ref _probeError);

    private static Errno Take(ref Errno slot)
    {
        Errno e = slot;
        slot = Errno.Ok;
        return e;
    }
}
