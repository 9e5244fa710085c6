using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Firmware.Tests.Dtb;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class DtNodeTests
{
    [Fact]
    public void AddChild_Nested_BuildsPathsAndParents()
    {
        var tree = new DeviceTree();
        DtNode soc = tree.Root.AddChild("soc");
        DtNode smmu = soc.AddChild("iommu@5000000");

        Assert.Equal("/", tree.Root.FullPath);
        Assert.Equal("/soc", soc.FullPath);
        Assert.Equal("/soc/iommu@5000000", smmu.FullPath);
        Assert.Same(soc, smmu.Parent);
        Assert.True(tree.Root.IsRoot);
        Assert.False(soc.IsRoot);
        Assert.Equal("iommu", smmu.BaseName);
        Assert.Equal("5000000", smmu.UnitAddress);
        Assert.Null(soc.UnitAddress);
    }

    [Fact]
    public void AddChild_DuplicateName_Throws()
    {
        var tree = new DeviceTree();
        tree.Root.AddChild("a");

        Assert.Throws<InvalidOperationException>(() => tree.Root.AddChild("a"));
    }

    [Fact]
    public void AddChild_NodeAlreadyInTree_Throws()
    {
        var tree = new DeviceTree();
        DtNode a = tree.Root.AddChild("a");
        DtNode b = tree.Root.AddChild("b");

        Assert.Throws<InvalidOperationException>(() => b.AddChild(a));
        Assert.Throws<InvalidOperationException>(() => a.AddChild(tree.Root));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    public void Constructor_InvalidName_Throws(string name)
    {
        Assert.ThrowsAny<ArgumentException>(() => new DtNode(name));
    }

    [Fact]
    public void GetOrAddChild_Existing_ReturnsIt()
    {
        var tree = new DeviceTree();
        DtNode a = tree.Root.AddChild("a");

        Assert.Same(a, tree.Root.GetOrAddChild("a"));
        Assert.NotSame(a, tree.Root.GetOrAddChild("b"));
        Assert.Equal(["a", "b"], tree.Root.Children.Select(c => c.Name));
    }

    [Fact]
    public void RemoveChild_DetachesSubtree()
    {
        var tree = new DeviceTree();
        DtNode a = tree.Root.AddChild("a");
        a.AddChild("x");

        Assert.True(tree.Root.RemoveChild("a"));

        Assert.Empty(tree.Root.Children);
        Assert.Null(a.Parent);
        Assert.Equal("a", a.FullPath);
        Assert.False(tree.Root.RemoveChild("a"));
        Assert.False(tree.Root.RemoveChild(a));
        Assert.Null(tree.FindNode("/a/x"));

        // A detached node can be attached again elsewhere.
        DtNode b = tree.Root.AddChild("b");
        b.AddChild(a);
        Assert.Equal("/b/a/x", tree.FindNode("/b/a/x")!.FullPath);
    }

    [Fact]
    public void SetProperty_Existing_ReplacesValueInPlaceKeepingLabels()
    {
        var node = new DtNode("n");
        node.AddProperty("a", new byte[] { 1 });
        DtProperty b = node.AddProperty("b", new byte[] { 2 });
        b.AddLabel("lbl");
        node.AddProperty("c", new byte[] { 3 });

        DtProperty set = node.SetProperty("b", new byte[] { 9, 9 });

        Assert.Same(b, set);
        Assert.Equal(["a", "b", "c"], node.Properties.Select(p => p.Name));
        Assert.Equal([9, 9], b.Value.ToArray());
        Assert.Equal(["lbl"], b.Labels);
        Assert.Same(node, b.Node);
    }

    [Fact]
    public void SetProperty_New_Appends()
    {
        var node = new DtNode("n");
        node.AddProperty("a", ReadOnlyMemory<byte>.Empty);

        node.SetProperty("z", new byte[] { 1 });

        Assert.Equal(["a", "z"], node.Properties.Select(p => p.Name));
    }

    [Fact]
    public void AddProperty_DuplicateOrOwned_Throws()
    {
        var node = new DtNode("n");
        DtProperty a = node.AddProperty("a", ReadOnlyMemory<byte>.Empty);

        Assert.Throws<InvalidOperationException>(() => node.AddProperty("a", ReadOnlyMemory<byte>.Empty));
        Assert.Throws<InvalidOperationException>(() => new DtNode("m").AddProperty(a));
    }

    [Fact]
    public void RemoveProperty_Present_RemovesAndDetaches()
    {
        var node = new DtNode("n");
        DtProperty a = node.AddProperty("a", ReadOnlyMemory<byte>.Empty);
        node.AddProperty("b", ReadOnlyMemory<byte>.Empty);

        Assert.True(node.RemoveProperty("a"));
        Assert.False(node.RemoveProperty("a"));

        Assert.Null(a.Node);
        Assert.Null(node.FindProperty("a"));
        Assert.Equal("b", Assert.Single(node.Properties).Name);
    }

    [Fact]
    public void Labels_AddTwice_KeptOnce()
    {
        var node = new DtNode("n");

        Assert.True(node.AddLabel("x"));
        Assert.False(node.AddLabel("x"));
        Assert.True(node.AddLabel("y"));

        Assert.Equal(["x", "y"], node.Labels);
        Assert.True(node.RemoveLabel("x"));
        Assert.Equal(["y"], node.Labels);
    }

    [Theory]
    [InlineData("/", "/")]
    [InlineData("/cpus/cpu@0", "/cpus/cpu@0")]
    [InlineData("/cpus/cpu@1/", "/cpus/cpu@1")]
    [InlineData("//cpus//cpu@1", "/cpus/cpu@1")]
    [InlineData("/soc/serial", "/soc/serial@1000")]
    [InlineData("/soc", "/soc")]
    public void FindNode_Paths_ResolveAsLinux(string path, string expected)
    {
        DeviceTree tree = Sample();

        Assert.Equal(expected, tree.FindNode(path)?.FullPath);
    }

    [Theory]
    [InlineData("cpus")]
    [InlineData("/cpus/cpu")]
    [InlineData("/cpus/cpu@2")]
    [InlineData("/nothing")]
    [InlineData("")]
    public void FindNode_MissingOrAmbiguous_ReturnsNull(string path)
    {
        // "/cpus/cpu" is ambiguous (cpu@0 and cpu@1), so it matches nothing.
        Assert.Null(Sample().FindNode(path));
    }

    [Fact]
    public void EnumerateSubtree_IsDepthFirstPreOrder()
    {
        Assert.Equal(
            ["/", "/cpus", "/cpus/cpu@0", "/cpus/cpu@1", "/soc", "/soc/serial@1000"],
            Sample().Root.EnumerateSubtree().Select(n => n.FullPath));
    }

    private static DeviceTree Sample()
    {
        var tree = new DeviceTree();
        DtNode cpus = tree.Root.AddChild("cpus");
        cpus.AddChild("cpu@0");
        cpus.AddChild("cpu@1");
        tree.Root.AddChild("soc").AddChild("serial@1000");
        return tree;
    }
}
