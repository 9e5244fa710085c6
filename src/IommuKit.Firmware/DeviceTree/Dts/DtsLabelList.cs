namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>
/// The labels of a node or property while the source is compiled, kept as dtc keeps them
/// (livetree.c <c>add_label</c>/<c>delete_labels</c>): a new label goes first, a deleted label stays
/// as a tombstone, and adding it again brings it back in place.
/// </summary>
internal struct DtsLabelList
{
    private List<(string Name, bool Deleted)>? _items;

    public readonly int Count => _items?.Count ?? 0;

    public readonly (string Name, bool Deleted) this[int index] => _items![index];

    public void Add(string name)
    {
        _items ??= [];
        for (int i = 0; i < _items.Count; i++)
        {
            if (_items[i].Name == name)
            {
                _items[i] = (name, false);
                return;
            }
        }

        _items.Insert(0, (name, false));
    }

    public readonly void DeleteAll()
    {
        if (_items is null)
        {
            return;
        }

        for (int i = 0; i < _items.Count; i++)
        {
            _items[i] = (_items[i].Name, true);
        }
    }

    public readonly bool ContainsLive(string name)
    {
        if (_items is null)
        {
            return false;
        }

        foreach ((string n, bool deleted) in _items)
        {
            if (!deleted && n == name)
            {
                return true;
            }
        }

        return false;
    }
}
