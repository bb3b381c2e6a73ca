{-# LANGUAGE ForeignFunctionInterface #-}
-- | Runs until killed, emitting a steady stream of user events, so that
-- generate.sh can SIGKILL it and keep an eventlog that has no DATA_END
-- (0xffff) marker.
--
-- Why the FFI below: the GHC 9.0 RTS keeps each capability's events in a
-- 2 MB buffer and only writes it out when it is full or at shutdown (the
-- periodic --eventlog-flush-interval and the flushing hs_flush_eventlog /
-- flushEventLog(Capability**) only arrived in GHC 9.2; 9.0's flushEventLog()
-- merely fflush()es the FILE*, and there is no RTS flag for the buffer size).
-- A SIGKILLed program would therefore leave either just the header or a file
-- of >2 MB.  To keep the file small we shrink the *logical* size of
-- capability 0's event buffer: in GHC 9.0 `EventsBuf *capEventBuf` is a
-- global symbol and EventsBuf is
--
--     struct { StgInt8 *begin, *pos, *marker; StgWord64 size; EventCapNo capno; }
--
-- so `size` lives at byte offset 24.  The RTS checks
-- `begin + size - pos >= needed` before every event and otherwise writes the
-- block out with its own printAndClearEventBuf() (patching the block
-- marker), so after the poke the RTS simply flushes every few KB by itself.
-- The allocation stays 2 MB; we only ever make `size` smaller, so nothing can
-- be written out of bounds.  Only capability 0's buffer is shrunk: the
-- global (capability-less) buffer, holding the capset, RTS-identifier,
-- wall-clock and task events, keeps its 2 MB and is lost at the kill, just
-- as in any real GHC 9.0 program that dies before writing 2 MB of such
-- events.  So this log has per-capability blocks only.
--
-- Where the file ends: the RTS fwrite()s each block in full (glibc turns an
-- ~8 KB fwrite into write(2)s of 4096 + rest, nothing stays in the stdio
-- buffer), so the file almost always ends exactly at the end of a complete
-- block; a cut inside a block would need the kill to land between those two
-- write(2) calls.  Events posted since the last flush are simply lost.
--
-- Build with -eventlog (threaded or not) and run with one capability.
--
-- Usage: spin [BUFFER_BYTES]
module Main (main) where

import Control.Concurrent (forkIO, myThreadId, threadDelay)
import Control.Exception (evaluate)
import Control.Monad (forM_, forever, when)
import Data.IORef
import Debug.Trace (traceEventIO, traceMarkerIO)
import Data.Word (Word64)
import Foreign.Ptr (Ptr, nullPtr)
import Foreign.Storable (peek, peekByteOff, pokeByteOff, sizeOf)
import GHC.Conc (labelThread, numCapabilities)
import System.Environment (getArgs)
import System.Exit (exitFailure)
import System.IO (hPutStrLn, stderr)
import Text.Read (readMaybe)

-- From rts/eventlog/EventLog.c (GHC 9.0):
--   EventsBuf *capEventBuf;  // one EventsBuf for each Capability
foreign import ccall unsafe "&capEventBuf" capEventBufVar :: Ptr (Ptr ())

-- | Offset of the `size` field in GHC 9.0's EventsBuf (three pointers).
eventsBufSizeOffset :: Int
eventsBufSizeOffset = 3 * sizeOf nullPtr

-- | Make capability 0's event buffer behave like one of @bytes@ bytes.
shrinkCap0Buffer :: Word64 -> IO ()
shrinkCap0Buffer bytes = do
  buf <- peek capEventBufVar            -- &capEventBuf[0]
  when (buf == nullPtr) $ do
    hPutStrLn stderr "spin: eventlog not enabled (run with +RTS -l)"
    exitFailure
  old <- peekByteOff buf eventsBufSizeOffset :: IO Word64
  -- Sanity check that we are really looking at the 2 MB EVENT_LOG_SIZE.
  when (old /= 2 * 1024 * 1024) $ do
    hPutStrLn stderr ("spin: unexpected EventsBuf size " ++ show old
                      ++ "; RTS layout differs from GHC 9.0")
    exitFailure
  pokeByteOff buf eventsBufSizeOffset (min old bytes)

main :: IO ()
main = do
  args <- getArgs
  bufBytes <- case args of
    []  -> pure 8192
    [s] | Just n <- readMaybe s, n >= 1024 -> pure (n :: Word64)
    _   -> do hPutStrLn stderr "usage: spin [BUFFER_BYTES>=1024]"; exitFailure
  when (numCapabilities /= 1) $ do
    hPutStrLn stderr "spin: must run with exactly one capability (no +RTS -N)"
    exitFailure
  shrinkCap0Buffer bufBytes
  me <- myThreadId
  labelThread me "spin-main"
  traceMarkerIO "spin start"
  -- A helper thread so that the log also has thread switches / wake-ups,
  -- not only user messages.
  _ <- forkIO $ do
    t <- myThreadId
    labelThread t "spin-helper"
    forever $ do
      _ <- evaluate (sum [1 .. 2000 :: Int])
      threadDelay 500
  counter <- newIORef (0 :: Int)
  forever $ do
    i <- readIORef counter
    forM_ [i .. i + 19] $ \k ->
      traceEventIO ("tick " ++ show k ++ " payload " ++ replicate (k `mod` 23) '.')
    writeIORef counter (i + 20)
    -- Pace the output: ~20 events per 2 ms, i.e. some hundreds of KB/s at
    -- most, so a 0.3 s run stays well under the corpus size budget.
    threadDelay 2000
