using System;
using System.Linq.Expressions;
using System.Reflection;

namespace AutopilotExport.Commands
{
    /// <summary>
    /// Runs an action when the process is asked to end: SIGTERM (timeout, systemd, a scheduler's time limit)
    /// on PowerShell 7, and the process's normal exit everywhere. PowerShell 7 ends on SIGTERM without raising
    /// ProcessExit, so the signal is registered through PosixSignalRegistration (.NET 6 and later, reached by
    /// reflection: this assembly also loads in Windows PowerShell 5.1). The action runs on another thread,
    /// before the default handling ends the process.
    /// </summary>
    internal sealed class TerminationSignal : IDisposable
    {
        private readonly EventHandler _onExit;
        private IDisposable? _signal;

        private TerminationSignal(Action onTerminate)
        {
            _onExit = (_, __) => onTerminate();
            AppDomain.CurrentDomain.ProcessExit += _onExit;
            _signal = RegisterSigterm(onTerminate);
        }

        public static TerminationSignal Register(Action onTerminate) => new TerminationSignal(onTerminate);

        private static IDisposable? RegisterSigterm(Action onTerminate)
        {
            try
            {
                var registration = Type.GetType("System.Runtime.InteropServices.PosixSignalRegistration, System.Runtime.InteropServices", throwOnError: false);
                var signal = Type.GetType("System.Runtime.InteropServices.PosixSignal, System.Runtime.InteropServices", throwOnError: false);
                var context = Type.GetType("System.Runtime.InteropServices.PosixSignalContext, System.Runtime.InteropServices", throwOnError: false);
                if (registration == null || signal == null || context == null) return null;
                var handlerType = typeof(Action<>).MakeGenericType(context);
                var create = registration.GetMethod("Create", BindingFlags.Public | BindingFlags.Static, null, new[] { signal, handlerType }, null);
                if (create == null) return null;
                // context => onTerminate(): the context's Cancel stays false, so the process still ends afterwards.
                var handler = Expression.Lambda(handlerType, Expression.Invoke(Expression.Constant(onTerminate)), Expression.Parameter(context, "context")).Compile();
                return create.Invoke(null, new[] { Enum.Parse(signal, "SIGTERM"), handler }) as IDisposable;
            }
            catch (Exception ex) when (ex is TargetInvocationException || ex is PlatformNotSupportedException || ex is ArgumentException || ex is InvalidOperationException)
            {
                // Signals are not supported here (Windows PowerShell): the process's exit is still watched.
                return null;
            }
        }

        public void Dispose()
        {
            AppDomain.CurrentDomain.ProcessExit -= _onExit;
            _signal?.Dispose();
            _signal = null;
        }
    }
}
