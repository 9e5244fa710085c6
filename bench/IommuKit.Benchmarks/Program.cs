using BenchmarkDotNet.Running;

namespace IommuKit.Benchmarks;

public static class Program
{
    /// <summary>
    /// <c>dotnet run -c Release --project bench/IommuKit.Benchmarks -- --filter '*'</c> runs every benchmark;
    /// the workload drivers (W2, W3) are reachable as <c>-- w2 DIR</c> and <c>-- w3</c>.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "w3")
        {
            return ArmLpaeW3.Run(Console.Out);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
