{-# LANGUAGE ForeignFunctionInterface #-}
-- | The program tests/ghc/monitor_test.py watches with `eventlog monitor`:
-- it streams its eventlog over the Unix socket $GHC_EVENTLOG_UNIX_PATH
-- through tests/ghc/socket_writer.c (its C main makes an EventLogWriter
-- speaking the eventlog-socket protocol the RTS's writer; the RTS waits for
-- the first client at start-up), then, until told to stop over the socket (control command elog-test:2)
-- or 30 s passed:
--
--   * posts ~60 KB of padding messages (see `pad`);
--   * allocates (minor GCs) and every 8th round calls performMajorGC
--     (collections of generation 1), inside a user span "work";
--   * sparks a little parallel work (spark counters);
--   * marks every control command elog-test:1 it received with a user
--     span "control" (so the test sees the command reach the program), and
--     posts one span with a label that needs escaping in the exposition.
--
-- Usage: monitored   (run with +RTS -l -N2 -S<file>; build with -no-hs-main)
module Main (main) where

import Control.Concurrent (threadDelay)
import Control.Exception (evaluate)
import Control.Monad (when)
import Data.IORef
import Debug.Trace (traceEventIO)
import Foreign.C.Types (CInt (..))
import GHC.Clock (getMonotonicTime)
import GHC.Conc (par, pseq)
import System.Exit (exitFailure)
import System.IO (hPutStrLn, stderr)
import System.Mem (performMajorGC)

foreign import ccall unsafe "elog_test_commands" c_commands :: IO CInt
foreign import ccall unsafe "elog_test_quit" c_quit :: IO CInt

fib :: Int -> Integer
fib n = if n < 2 then toInteger n else fib (n - 1) + fib (n - 2)

-- | GHC 9.0's RTS hands a capability's events to the writer only when its
-- 2 MB buffer is full (or at exit): ~60 KB of padding messages per round
-- make that happen about once a second, so the monitor sees the program's
-- heap and threads while it runs.
pad :: String
pad = "pad " ++ replicate 200 'p'

round_ :: Int -> IO ()
round_ i = do
  mapM_ (const (traceEventIO pad)) [1 .. 300 :: Int]
  traceEventIO "START work"
  let xs = [1 .. toInteger (20000 + i `mod` 1000)] :: [Integer]
  _ <- evaluate (sum (map (* 3) xs))
  let a = fib 18
      b = fib 19
  _ <- evaluate (a `par` (b `pseq` (a + b)))
  when (i `mod` 8 == 0) performMajorGC
  traceEventIO "STOP work"

main :: IO ()
main = do
  start <- getMonotonicTime
  seen <- newIORef (0 :: CInt)
  traceEventIO "START we\"ird\\label"
  traceEventIO "STOP we\"ird\\label"
  let loop i = do
        round_ i
        n <- c_commands
        old <- readIORef seen
        when (n > old) $ do
          writeIORef seen n
          traceEventIO "START control"
          traceEventIO "STOP control"
        q <- c_quit
        now <- getMonotonicTime
        if q /= 0
          then pure ()
          else if now - start > 30
            then hPutStrLn stderr "monitored: not stopped within 30 s" >> exitFailure
            else threadDelay 20000 >> loop (i + 1)
  loop 1
