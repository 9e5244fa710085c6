namespace IommuKit.Kernel.Iommu;

/// <summary>An IDA: hands out the lowest free non-negative integer.</summary>
internal sealed class IdAllocator
{
    private readonly SortedSet<int> _free = [];
    private int _next;

    public int Alloc()
    {
        if (_free.Count > 0)
        {
            int id = _free.Min;
            _free.Remove(id);
            return id;
        }

        return _next++;
    }

    public void Free(int id)
    {
        if (id == _next - 1)
        {
            _next--;
            while (_free.Remove(_next - 1))
            {
                _next--;
            }
        }
        else
        {
            _free.Add(id);
        }
    }
}
