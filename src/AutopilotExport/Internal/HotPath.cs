using System.Runtime.CompilerServices;

namespace AutopilotExport.Commands
{
    /// <summary>The cmdlet side of the engine's HotPath: per-row methods compiled fully optimised at their first call.</summary>
    internal static class HotPath
    {
        /// <summary>MethodImplOptions.AggressiveOptimization (512), not named in netstandard2.0; ignored by .NET Framework.</summary>
        public const MethodImplOptions Optimize = (MethodImplOptions)512;
    }
}
