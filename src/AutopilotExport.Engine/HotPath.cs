using System.Runtime.CompilerServices;

namespace AutopilotExport.Engine
{
    /// <summary>
    /// The per-row methods of a run are compiled fully optimised at their first call instead of going through the
    /// runtime's tiers (unoptimised code, then instrumented code, then optimised code). A PowerShell session keeps
    /// compiling new code, which postpones the promotion of hot methods for seconds: measured with the benchmark's
    /// sink scenario, a million rows spent about 2 µs a row in the early tiers. Only methods that run once per
    /// row or per request carry it (docs/PERFORMANCE.md).
    /// </summary>
    internal static class HotPath
    {
        /// <summary>MethodImplOptions.AggressiveOptimization (512), which netstandard2.0 does not name; .NET Framework
        /// (Windows PowerShell 5.1), which has no tiers, ignores it.</summary>
        public const MethodImplOptions Optimize = (MethodImplOptions)512;
    }
}
